package dev.rotor.server.issuance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.RotorException;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgCertificateStore;
import dev.rotor.server.store.PgCertificateStore.AbandonedPrecertificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes issuance pre-records whose certificate is recorded but which are still there (a final
 * record deletes its own pre-record; these were written before it did), and resolves those that never got
 * their certificate: the process died (or the final commit failed) between recording the serial
 * and TBS and recording the signed certificate. Such a certificate was never returned to anyone — {@link IssuanceService} sends
 * a certificate only after its final commit — so there is nothing to revoke; the pre-record is
 * marked abandoned, with a {@code certificate.abandoned} audit entry, and stays in
 * {@code precertificates} (its serial can never be drawn again, and the TBS shows what the key
 * would have been used for).
 *
 * <p>Only pre-records older than the grace period are touched: younger ones may belong to an
 * issuance still in flight here or on another replica. Runs at start and then periodically, on
 * every replica ({@code FOR UPDATE SKIP LOCKED}: replicas never resolve a row twice).
 */
public final class PrecertificateRecovery implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PrecertificateRecovery.class);
  private static final int BATCH = 500;

  private final Journal journal;
  private final PgCertificateStore store;
  private final Clock clock;
  private final Duration grace;
  private final ObjectMapper json = new ObjectMapper();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("rotor-precert-recovery").daemon(true).factory());

  public PrecertificateRecovery(Journal journal, PgCertificateStore store, Clock clock, Duration grace) {
    this.journal = journal;
    this.store = store;
    this.clock = clock;
    this.grace = grace;
  }

  /** Runs a first pass now (in the background) and then every half grace period, at most every 10 s. */
  public PrecertificateRecovery start() {
    long every = Math.max(500, Math.min(grace.toMillis() / 2, 10_000));
    scheduler.scheduleWithFixedDelay(this::runQuietly, 0, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * One pass: deletes the pre-records whose certificate is recorded (no audit entry: the
   * certificate's own {@code certificate.issued} entry covers it; its own transaction, so this
   * works even while audit entries cannot be written), then abandons every pre-record older than
   * the grace period that has no certificate; returns how many were abandoned.
   */
  public int run() {
    store.deleteFinalPrecertificates();
    int total = 0;
    while (true) {
      List<AbandonedPrecertificate> batch = journal.execute(tx -> {
        List<AbandonedPrecertificate> found = store.abandonPrecertificates(tx, clock.instant().minus(grace), BATCH);
        for (AbandonedPrecertificate p : found) {
          tx.audit("system", "certificate.abandoned", p.serial(), details(p));
        }
        return found;
      });
      total += batch.size();
      for (AbandonedPrecertificate p : batch) {
        log.warn("issuance abandoned serial={} profile={} channel={} requester={} prerecordedAt={}"
            + " (signed at most; never returned)", p.serial(), p.profile(), p.channel(), p.requester(), p.createdAt());
      }
      if (batch.size() < BATCH) {
        return total;
      }
    }
  }

  private void runQuietly() {
    try {
      run();
    } catch (RotorException e) {
      log.debug("precertificate recovery deferred error={}", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("precertificate recovery failed", e);
    }
  }

  private String details(AbandonedPrecertificate p) throws JsonProcessingException {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("serial", p.serial());
    d.put("profile", p.profile());
    d.put("channel", p.channel());
    d.put("requester", p.requester());
    d.put("prerecordedAt", p.createdAt().toString());
    d.put("reason", "no certificate was recorded within the grace period; it was never returned");
    return json.writeValueAsString(d);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
