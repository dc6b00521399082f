package dev.rotor.server.acme;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;
import dev.rotor.server.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs challenge validations in the background, from the queue in PostgreSQL: a challenge a
 * client asked to validate is {@code processing} with a due time; a replica claims due rows
 * ({@code FOR UPDATE SKIP LOCKED}) with a lease, validates on a virtual thread, and records the
 * outcome. A failure is retried {@link #ATTEMPTS} times in all (1 s, then 2 s later) before the
 * challenge, its authorization and its order become invalid. A replica that dies mid-validation
 * leaves the lease to run out, and any replica (or itself after a restart) takes the row again.
 * The same loop finishes orders left in {@code processing} by a replica that stopped while
 * finalizing, and deletes spent nonces once they would have expired anyway.
 */
public final class ValidationWorker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ValidationWorker.class);

  static final int ATTEMPTS = 3;
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration IDLE_POLL = Duration.ofMillis(250);
  private static final Duration STALLED = Duration.ofSeconds(60);

  private final AcmeStore store;
  private final Map<String, ChallengeValidator> validators;
  private final Clock clock;
  private final ObjectMapper json;
  private final Metrics metrics;
  private final LongConsumer resumeFinalize;
  private final Semaphore wake = new Semaphore(0);
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore inFlight = new Semaphore(512);
  private final Thread loop;
  private volatile boolean running = true;
  private Instant nextHousekeeping = Instant.EPOCH;

  /** @param resumeFinalize finishes an order found stalled in processing */
  public ValidationWorker(AcmeStore store, Map<String, ChallengeValidator> validators, Clock clock, ObjectMapper json,
      Metrics metrics, LongConsumer resumeFinalize) {
    this.store = store;
    this.validators = Map.copyOf(validators);
    this.clock = clock;
    this.json = json;
    this.metrics = metrics;
    this.resumeFinalize = resumeFinalize;
    this.loop = Thread.ofPlatform().name("rotor-acme-validation").daemon(true).unstarted(this::run);
  }

  public ValidationWorker start() {
    loop.start();
    return this;
  }

  /** A challenge became due now: look at once instead of at the next poll. */
  public void wake() {
    wake.release();
  }

  /** The lease a claim holds before another replica may take the challenge. */
  Instant leaseFrom(Instant now) {
    return now.plus(LEASE);
  }

  /** Validates a challenge the caller already claimed ({@link AcmeStore#startValidation}), at once. */
  public void submit(AcmeStore.Claimed claimed) {
    if (!inFlight.tryAcquire()) {
      return; // busy: the lease runs out and the loop takes it then
    }
    executor.execute(() -> {
      try {
        validate(claimed);
      } finally {
        inFlight.release();
      }
    });
  }

  private void run() {
    while (running) {
      try {
        wake.tryAcquire(IDLE_POLL.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
        if (!running) {
          break;
        }
        housekeeping();
        int free = inFlight.availablePermits();
        if (free == 0) {
          continue;
        }
        Instant now = clock.instant();
        List<AcmeStore.Claimed> due = store.claimDue(now, now.plus(LEASE), Math.min(free, 128));
        for (AcmeStore.Claimed c : due) {
          inFlight.acquireUninterruptibly();
          executor.execute(() -> {
            try {
              validate(c);
            } finally {
              inFlight.release();
            }
          });
        }
        if (due.size() == 128) {
          wake.release(); // more may be due
        }
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        log.warn("acme validation loop error={}", e.toString());
        sleepQuietly();
      }
    }
  }

  private void housekeeping() {
    Instant now = clock.instant();
    if (now.isBefore(nextHousekeeping)) {
      return;
    }
    nextHousekeeping = now.plusSeconds(10);
    store.deleteSpentNonces(now);
    store.deleteOldRateWindows(now.minus(Duration.ofHours(2)));
    Instant before = now.minus(STALLED);
    for (long orderId : store.stalledOrders(before, 16)) {
      if (store.claimStalled(orderId, before)) {
        executor.execute(() -> {
          try {
            resumeFinalize.accept(orderId);
          } catch (RuntimeException e) {
            log.warn("acme resume finalize failed order={} error={}", orderId, e.toString());
          }
        });
      }
    }
  }

  private void validate(AcmeStore.Claimed c) {
    ChallengeValidator validator = validators.get(c.type());
    Identifier identifier = new Identifier(c.identifierType(), c.identifierValue());
    try {
      String keyAuthorization = c.token() + "." + Jws.thumbprint(JWK.parse(c.accountJwk()));
      validator.validate(identifier, c.token(), keyAuthorization);
      store.validated(c, clock.instant());
      metrics.acmeValidation(c.type(), "valid");
    } catch (AcmeException e) {
      if (c.attempts() < ATTEMPTS) {
        store.retryAt(c.challengeId(), clock.instant().plusSeconds(c.attempts()));
        metrics.acmeValidation(c.type(), "retry");
        log.info("acme validation retry challenge={} type={} attempt={} problem={}", c.challengeId(), c.type(), c.attempts(), e.error().wire());
      } else {
        store.invalidated(c, AcmeProblems.toJson(json, e, identifier));
        metrics.acmeValidation(c.type(), e.error().wire());
        log.info("acme validation failed challenge={} type={} problem={} detail=\"{}\"", c.challengeId(), c.type(), e.error().wire(), e.getMessage());
      }
    } catch (java.text.ParseException e) {
      store.invalidated(c, AcmeProblems.toJson(json, new AcmeException(AcmeError.SERVER_INTERNAL, "the account key is unreadable"), identifier));
    } catch (RuntimeException e) {
      // the database failed: the lease runs out and the challenge is tried again
      log.warn("acme validation error challenge={} error={}", c.challengeId(), e.toString());
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    wake.release();
    try {
      loop.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }
}
