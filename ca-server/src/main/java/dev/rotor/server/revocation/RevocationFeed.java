package dev.rotor.server.revocation;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.store.PgCertificateStore;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revocation feed agents follow ({@code GET /agent/v1/revocations?since=<version>}): the
 * complete set of revoked, unexpired certificates, with a version that changes whenever the set
 * does. Each answer is the whole set — short-lived certificates keep it small — so a follower can
 * never miss an entry, whatever order revocations commit in.
 *
 * <p>The set is re-read from the database at once when this replica revokes ({@link #invalidate})
 * and every {@code pollInterval} otherwise (revocations by other replicas). Followers that already
 * have the current version wait (long poll) until it changes or their wait ends; waiting holds no
 * thread.
 *
 * <p>The answer also carries {@code taintedIssuers}: the key identifiers (lower-case hex) of the
 * intermediates declared compromised ({@code POST /api/v1/ca/taint}) and still in the bundle.
 * Agents refresh their trust bundle and replace, at once, every certificate those CAs signed. The
 * list is part of the version, so long polls end when it changes.
 */
public final class RevocationFeed implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RevocationFeed.class);

  /** One version of the set, with its JSON answer encoded once for every follower. */
  public record Snapshot(String version, int size, byte[] json, Set<String> serials) {}

  private final class Waiter {
    final String since;
    final Consumer<Snapshot> reply;
    final AtomicBoolean done = new AtomicBoolean();
    ScheduledFuture<?> timeout;

    Waiter(String since, Consumer<Snapshot> reply) {
      this.since = since;
      this.reply = reply;
    }

    void complete(Snapshot s) {
      if (done.compareAndSet(false, true)) {
        if (timeout != null) {
          timeout.cancel(false);
        }
        waiters.remove(this);
        reply.accept(s);
      }
    }
  }

  private final PgCertificateStore store;
  private final Clock clock;
  private final ObjectMapper json;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("rotor-revocation-feed").daemon(true).factory());
  private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
  private volatile Snapshot current;
  private volatile java.util.function.Supplier<List<String>> tainted = List::of;

  public RevocationFeed(PgCertificateStore store, Clock clock, ObjectMapper json, Duration pollInterval) {
    this.store = store;
    this.clock = clock;
    this.json = json;
    this.current = build(List.of());
    scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Where {@code taintedIssuers} comes from (the CA snapshot). */
  public void taintedIssuersFrom(java.util.function.Supplier<List<String>> keyIds) {
    this.tainted = keyIds;
    invalidate();
  }

  /** A revocation committed here: publish it now rather than at the next poll. */
  public void invalidate() {
    scheduler.execute(this::refreshQuietly);
  }

  /** Whether the set as last read lists {@code serialHex} (lower-case hex). */
  public boolean isRevoked(String serialHex) {
    return current.serials().contains(serialHex);
  }

  /** The set as last read. */
  public Snapshot current() {
    return current;
  }

  /**
   * Answers at once when {@code since} is not the current version; otherwise when the set next
   * changes, or with the unchanged set after {@code wait}.
   */
  public void follow(String since, Duration wait, Consumer<Snapshot> reply) {
    Snapshot s = current;
    if (since == null || !since.equals(s.version()) || wait.isZero()) {
      reply.accept(s);
      return;
    }
    Waiter w = new Waiter(since, reply);
    waiters.add(w);
    w.timeout = scheduler.schedule(() -> w.complete(current), wait.toMillis(), TimeUnit.MILLISECONDS);
    // The set may have changed between the check above and the registration.
    if (!current.version().equals(since)) {
      w.complete(current);
    }
  }

  private void refreshQuietly() {
    try {
      Snapshot next = build(store.revokedUnexpired(clock.instant()));
      Snapshot before = current;
      current = next;
      if (!next.version().equals(before.version())) {
        log.info("revocation feed version={} revoked={} waiting={}", next.version(), next.size(), waiters.size());
        for (Waiter w : waiters) {
          if (!w.since.equals(next.version())) {
            w.complete(next);
          }
        }
      }
    } catch (RuntimeException e) {
      log.warn("revocation feed refresh failed error={}", e.toString());
    }
  }

  private Snapshot build(List<PgCertificateStore.RevokedCertificate> revoked) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      List<String> taintedIds = tainted.get();
      for (String id : taintedIds) {
        d.update(id.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        d.update((byte) ',');
      }
      for (PgCertificateStore.RevokedCertificate r : revoked) {
        d.update(ByteBuffer.allocate(8).putLong(r.seq()).array());
      }
      String version = HexFormat.of().formatHex(d.digest(), 0, 12);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("version", version);
      out.put("taintedIssuers", taintedIds);
      out.put("revoked", revoked.stream().map(r -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serial", r.serial());
        m.put("revokedAt", r.revokedAt().toString());
        m.put("reason", r.reason());
        m.put("notAfter", r.notAfter().toString());
        return m;
      }).toList());
      Set<String> serials = new java.util.HashSet<>();
      revoked.forEach(r -> serials.add(r.serial()));
      return new Snapshot(version, revoked.size(), json.writeValueAsBytes(out), Set.copyOf(serials));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    for (Waiter w : waiters) {
      w.complete(current);
    }
  }
}
