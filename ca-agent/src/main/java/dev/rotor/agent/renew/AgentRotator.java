package dev.rotor.agent.renew;

import dev.rotor.agent.api.AgentApiClient;
import dev.rotor.agent.api.ApiError;
import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.api.Csrs;
import dev.rotor.agent.api.Issued;
import dev.rotor.agent.attest.Attestation;
import dev.rotor.pki.PkiException;
import java.io.IOException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rotation loop of the agent's own certificate, on one thread:
 *
 * <ol>
 *   <li>at start, re-use stored credentials that are still valid, else attest;
 *   <li>renew at half-life ±10 % over mTLS with the current certificate;
 *   <li>on failure keep the current certificate and retry with capped backoff;
 *   <li>once the certificate has expired (CA down too long), or the server refuses it (revoked),
 *       attest again. A ServiceAccount token is re-read from its file for every attempt; a join
 *       token is single-use, so after it has been consumed re-attestation cannot succeed: the loop
 *       logs that clearly and keeps trying with backoff (an operator supplies a new token and
 *       restarts the agent) instead of exiting into a crash loop.
 * </ol>
 *
 * <p>Every new credential is saved, handed to the API client (new connection pool) and published
 * to subscribers, in that order.
 */
public final class AgentRotator implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgentRotator.class);

  /** Receives the outcome of every attempt (for metrics). */
  public interface Events {
    /** {@code outcome}: {@code attested}, {@code renewed}, {@code reused}, {@code failed}, {@code refused}. */
    void agentRenewal(String outcome);
  }

  private final AgentApiClient api;
  private final Attestation attestation;
  private final CredentialStore store;
  private final RenewalPolicy policy;
  private final Backoff backoff;
  private final Clock clock;
  private final RandomGenerator random;
  private final Events events;
  private final Optional<String> expectedNode;
  private final ScheduledExecutorService loop;
  private final List<Consumer<Credentials>> subscribers = new CopyOnWriteArrayList<>();
  private final CountDownLatch firstCredentials = new CountDownLatch(1);

  private volatile Credentials current;
  private Instant renewAt;
  /** The pending step (only touched on the loop thread). */
  private java.util.concurrent.ScheduledFuture<?> next;
  private boolean mustAttest;
  private int failures;
  /** The Retry-After of the last failure, if the server sent one. */
  private Optional<Duration> retryAfter = Optional.empty();

  public AgentRotator(AgentApiClient api, Attestation attestation, CredentialStore store, RenewalPolicy policy,
      Backoff backoff, Clock clock, RandomGenerator random, Events events, Optional<String> expectedNode) {
    this.api = api;
    this.attestation = attestation;
    this.store = store;
    this.policy = policy;
    this.backoff = backoff;
    this.clock = clock;
    this.random = random;
    this.events = events;
    this.expectedNode = expectedNode;
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rotor-agent-rotation");
      t.setDaemon(true);
      return t;
    });
  }

  /** Calls {@code subscriber} with every new credential snapshot (on the rotation thread), and now if there is one. */
  public void subscribe(Consumer<Credentials> subscriber) {
    subscribers.add(subscriber);
    Credentials c = current;
    if (c != null) {
      subscriber.accept(c);
    }
  }

  /** The current credentials, if attested. */
  public Optional<Credentials> current() {
    return Optional.ofNullable(current);
  }

  /** Waits until the agent holds credentials. */
  public boolean awaitCredentials(Duration timeout) throws InterruptedException {
    return firstCredentials.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Loads stored credentials and starts the loop. */
  public void start() {
    loop.execute(this::boot);
  }

  private void boot() {
    try {
      Optional<Credentials> stored = store.load();
      Instant now = clock.instant();
      if (stored.isPresent() && !stored.get().isExpired(now) && isOurs(stored.get())) {
        log.info("re-using stored agent certificate identity={} serial={} notAfter={}",
            stored.get().spiffeId().orElse("?"), stored.get().serial(), stored.get().notAfter());
        events.agentRenewal("reused");
        publish(stored.get(), false);
        try {
          api.bundle(); // the stored bundle may predate a CA rotation
        } catch (ApiError e) {
          log.info("cannot refresh the trust bundle yet ({}); using the stored one", e.getMessage());
        }
      } else if (stored.isPresent()) {
        log.info("stored agent certificate is expired or for another node; attesting");
      }
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the stored agent certificate, attesting instead: {}", e.toString());
    }
    step();
  }

  private boolean isOurs(Credentials c) {
    String id = c.spiffeId().orElse("");
    return id.contains("/agent/") && expectedNode.map(n -> id.endsWith("/" + n)).orElse(true);
  }

  private void step() {
    Instant now = clock.instant();
    Credentials c = current;
    try {
      if (c == null || c.isExpired(now) || mustAttest) {
        if (c != null && c.isExpired(now)) {
          log.warn("agent certificate expired at {}; re-attesting", c.notAfter());
        }
        attest();
      } else if (!now.isBefore(renewAt)) {
        renew();
      }
    } catch (RuntimeException e) {
      log.error("unexpected failure in the rotation loop; retrying", e);
      failed();
    }
    schedule();
  }

  private void attest() {
    KeyPair keys = Csrs.newKeyPair();
    String token;
    try {
      token = attestation.token();
    } catch (IOException e) {
      log.error("cannot read the attestation token: {}", e.getMessage());
      events.agentRenewal("failed");
      failed();
      return;
    }
    try {
      Issued issued = api.attest(attestation.method(), token, Csrs.csr(keys));
      Credentials fresh = Credentials.of(keys.getPrivate(), issued);
      log.info("attested method={} identity={} serial={} notAfter={}", attestation.method(), issued.spiffeId(),
          issued.serial(), issued.notAfter());
      mustAttest = false;
      publish(fresh, true);
      events.agentRenewal("attested"); // after publishing: whoever sees the count also sees the credentials
    } catch (ApiError e) {
      events.agentRenewal(e.kind() == ApiError.Kind.UNAVAILABLE ? "failed" : "refused");
      if (e.kind() == ApiError.Kind.UNAUTHENTICATED && !attestation.isReusable()) {
        log.error("attestation refused: the join token was not accepted (used, expired or unknown; join tokens are "
            + "single-use). Create a new one with POST /api/v1/join-tokens, set ROTOR_AGENT_JOIN_TOKEN and restart "
            + "the agent. Retrying with backoff meanwhile. status={} type={}", e.status(), e.problemType());
      } else {
        log.warn("attestation failed method={} kind={} error={}", attestation.method(), e.kind(), e.getMessage());
      }
      failed(e.retryAfter());
    } catch (PkiException e) {
      events.agentRenewal("failed");
      log.warn("attestation returned an unusable certificate: {}", e.getMessage());
      failed();
    }
  }

  private void renew() {
    KeyPair keys = Csrs.newKeyPair();
    try {
      Issued issued = api.renew(Csrs.csr(keys));
      Credentials fresh = Credentials.of(keys.getPrivate(), issued);
      log.info("renewed agent certificate serial={} notAfter={}", issued.serial(), issued.notAfter());
      publish(fresh, true);
      events.agentRenewal("renewed");
    } catch (ApiError e) {
      if (e.kind() == ApiError.Kind.UNAUTHENTICATED || e.kind() == ApiError.Kind.FORBIDDEN) {
        // The server no longer accepts this certificate (revoked, or not an agent identity).
        log.warn("the server refused the agent certificate (status={} type={}); re-attesting", e.status(), e.problemType());
        events.agentRenewal("refused");
        mustAttest = true;
      } else {
        log.warn("agent renewal failed, keeping the current certificate until {}: {}", current.notAfter(), e.getMessage());
        events.agentRenewal("failed");
      }
      failed(e.retryAfter());
    } catch (PkiException e) {
      log.warn("renewal returned an unusable certificate: {}", e.getMessage());
      events.agentRenewal("failed");
      failed();
    }
  }

  /**
   * Renews the agent certificate after {@code delay} whatever its renewal point (its issuing CA
   * was declared compromised).
   */
  public void renewSoon(Duration delay) {
    try {
      loop.execute(() -> {
        Instant at = clock.instant().plus(delay);
        if (renewAt == null || at.isBefore(renewAt)) {
          renewAt = at;
        }
        if (next != null) {
          next.cancel(false);
        }
        schedule();
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void failed() {
    failed(Optional.empty());
  }

  private void failed(Optional<Duration> serverRetryAfter) {
    failures++;
    retryAfter = serverRetryAfter;
  }

  private void publish(Credentials fresh, boolean persist) {
    if (persist) {
      try {
        store.save(fresh);
      } catch (IOException e) {
        // Still usable in memory; a restart will attest again.
        log.warn("cannot save the agent certificate to the data directory: {}", e.toString());
      }
    }
    api.use(fresh);
    current = fresh;
    failures = 0;
    retryAfter = Optional.empty();
    renewAt = persist
        ? policy.renewAt(fresh.notBefore(), fresh.notAfter(), random.nextDouble(), clock.instant())
        : policy.renewAt(fresh.notBefore(), fresh.notAfter(), random.nextDouble());
    for (Consumer<Credentials> s : subscribers) {
      try {
        s.accept(fresh);
      } catch (RuntimeException e) {
        log.warn("a credentials subscriber failed: {}", e.toString());
      }
    }
    firstCredentials.countDown();
  }

  private void schedule() {
    if (loop.isShutdown()) {
      return;
    }
    Instant now = clock.instant();
    Duration delay;
    Credentials c = current;
    if (failures > 0) {
      delay = backoff.delay(failures - 1, random.nextDouble(), retryAfter);
      if (c != null && !c.isExpired(now) && !mustAttest) {
        // Re-attest right at expiry rather than up to one backoff later.
        Duration untilExpiry = Duration.between(now, c.notAfter());
        if (untilExpiry.compareTo(delay) < 0) {
          delay = untilExpiry;
        }
      }
    } else {
      delay = Duration.between(now, renewAt);
    }
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    try {
      next = loop.schedule(this::step, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  @Override
  public void close() {
    loop.shutdownNow();
  }
}
