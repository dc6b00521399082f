package dev.rotor.agent.sink;

import dev.rotor.agent.api.ApiError;
import dev.rotor.agent.api.TrustBundle;
import dev.rotor.agent.renew.Backoff;
import dev.rotor.agent.renew.RenewalPolicy;
import dev.rotor.pki.PkiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps configured identities fresh as files: {@code <dir>/cert.pem} (leaf + chain),
 * {@code <dir>/key.pem} (PKCS#8, 0600) and {@code <dir>/bundle.pem}, each replaced atomically.
 *
 * <p>Known limitation: the three files are replaced one after the other (key first, then the
 * certificate, then the bundle), so a reader that opens {@code key.pem} and {@code cert.pem} in
 * the instant between two renames can see a new key with the old certificate. Readers should
 * reload when {@code cert.pem} changes and retry a pair that does not match.
 */
public final class FileSink implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FileSink.class);

  private final Map<String, Path> identities;
  private final WorkloadIssuer issuer;
  private final Supplier<Optional<TrustBundle>> bundle;
  private final RenewalPolicy policy;
  private final Backoff backoff;
  private final Duration deniedRetry;
  private final Clock clock;
  private final RandomGenerator random;
  private final SinkEvents events;
  private final WorkQueue queue;
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  /**
   * @param identities SPIFFE ID → directory
   * @param deniedRetry how long to wait after a 403 before asking again
   */
  public FileSink(Map<String, Path> identities, WorkloadSigner signer, Supplier<Optional<TrustBundle>> bundle,
      RenewalPolicy policy, Backoff backoff, Duration deniedRetry, Clock clock, RandomGenerator random, SinkEvents events) {
    this.identities = new LinkedHashMap<>(identities);
    this.issuer = new WorkloadIssuer(signer);
    this.bundle = bundle;
    this.policy = policy;
    this.backoff = backoff;
    this.deniedRetry = deniedRetry;
    this.clock = clock;
    this.random = random;
    this.events = events;
    this.queue = new WorkQueue("rotor-agent-file-sink", this::sync);
  }

  /** Checks every identity now (at start, and when the trust bundle changes). */
  public void syncAll() {
    identities.keySet().forEach(queue::add);
  }

  private void sync(String id) {
    Path dir = identities.get(id);
    Optional<TrustBundle> current = bundle.get();
    if (current.isEmpty()) {
      return; // not attested yet; syncAll() runs again with the first credentials
    }
    CertificateCheck.Wanted wanted = new CertificateCheck.Wanted(id, List.of());
    CertificateCheck.Stored stored = new CertificateCheck.Stored(
        read(dir.resolve("cert.pem")), read(dir.resolve("key.pem")), read(dir.resolve("bundle.pem")));
    Instant now = clock.instant();
    CertificateCheck.Assessment a = CertificateCheck.assess(stored, wanted, current.get(), now, policy);
    String target = "file:" + dir;
    try {
      switch (a.verdict()) {
        case FRESH -> {
          events.certificateHeld(target, id, a.leaf().getNotAfter().toInstant());
          scheduleRenewal(id, a.leaf().getNotBefore().toInstant(), a.leaf().getNotAfter().toInstant());
        }
        case BUNDLE_OUTDATED -> {
          AtomicFile.write(dir.resolve("bundle.pem"), current.get().canonicalPem().getBytes(StandardCharsets.US_ASCII), false);
          log.info("file sink bundle updated identity={} dir={}", id, dir);
          queue.add(id);
        }
        default -> {
          if (a.leaf() != null && now.isBefore(a.leaf().getNotAfter().toInstant())) {
            events.certificateHeld(target, id, a.leaf().getNotAfter().toInstant());
          }
          log.info("file sink renewing identity={} dir={} reason={}", id, dir, a.reason());
          WorkloadIssuer.NewCertificate fresh = issuer.issue(wanted, null, target,
              a.leaf() == null ? null : a.leaf().getNotAfter().toInstant());
          AtomicFile.write(dir.resolve("key.pem"), fresh.keyPem().getBytes(StandardCharsets.US_ASCII), true);
          AtomicFile.write(dir.resolve("cert.pem"), fresh.issued().chainPem().getBytes(StandardCharsets.US_ASCII), false);
          AtomicFile.write(dir.resolve("bundle.pem"), current.get().canonicalPem().getBytes(StandardCharsets.US_ASCII), false);
          events.workloadRenewal("issued");
          events.certificateHeld(target, id, fresh.issued().notAfter());
          failures.remove(id);
          log.info("file sink wrote identity={} dir={} serial={} notAfter={}", id, dir, fresh.issued().serial(),
              fresh.issued().notAfter());
          scheduleRenewal(id, fresh.issued().notBefore(), fresh.issued().notAfter());
        }
      }
    } catch (ApiError e) {
      if (e.kind() == ApiError.Kind.FORBIDDEN || e.kind() == ApiError.Kind.REJECTED) {
        events.workloadRenewal(e.kind() == ApiError.Kind.FORBIDDEN ? "denied" : "rejected");
        log.warn("the server refused identity={} for this node ({}); asking again in {}", id, e.getMessage(), deniedRetry);
        queue.addAfter(id, deniedRetry);
      } else {
        events.workloadRenewal("failed");
        retry(id, e.getMessage(), e.retryAfter());
      }
    } catch (IOException | PkiException e) {
      events.workloadRenewal("failed");
      retry(id, e.toString());
    }
  }

  private void retry(String id, String why) {
    retry(id, why, Optional.empty());
  }

  /** Backs off; a server's Retry-After is waited at least, with jitter on top. */
  private void retry(String id, String why, Optional<Duration> retryAfter) {
    int n = failures.merge(id, 1, Integer::sum);
    Duration delay = backoff.delay(n - 1, random.nextDouble(), retryAfter);
    log.warn("file sink renewal failed identity={} retryIn={} error={}", id, delay, why);
    queue.addAfter(id, delay);
  }

  private void scheduleRenewal(String id, Instant notBefore, Instant notAfter) {
    queue.addAfter(id, Duration.between(clock.instant(), policy.checkAt(notBefore, notAfter, random.nextDouble())));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.US_ASCII) : null;
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    queue.close();
  }
}
