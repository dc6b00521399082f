package dev.rotor.server.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The server's estimate of when a refused request should come back: the backlog ahead of it at
 * the rate requests have recently been completing, and then one <em>slot</em> per refusal, so
 * that the refused come back spread at the rate the server serves instead of in one wave (a
 * thousand refused at once with 500 completions/s are told 2 s, 2 s, …, 3 s, …, 4 s).
 *
 * <p>A request whose certificate expires sooner is never told to wait more than a quarter of
 * the time it has left (at least 1 s), so waiting cannot cost it its identity. The answer is
 * also capped at {@code max}. Pure apart from the injected clock.
 */
final class RetryAfter {

  /** Assumed completions per second until some have been measured. */
  static final double FLOOR_RATE = 50;
  /** How often the measured rate is refreshed. */
  private static final Duration SAMPLE = Duration.ofSeconds(1);

  private final Clock clock;
  private final Duration max;

  private long completed;
  private long completedAtSample;
  private Instant sampledAt;
  private double rate = FLOOR_RATE;
  /** The next free slot, in seconds since the epoch (fractions kept). */
  private double horizon;

  RetryAfter(Clock clock, Duration max) {
    if (max.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("the largest Retry-After must be at least 1 s, got " + max);
    }
    this.clock = clock;
    this.max = max;
    this.sampledAt = clock.instant();
  }

  /** Counts one request that went through the gate and finished. */
  synchronized void completed() {
    completed++;
    sample(clock.instant());
  }

  /** Completions per second, as last measured (never below {@link #FLOOR_RATE}). */
  synchronized double rate() {
    sample(clock.instant());
    return rate;
  }

  /**
   * The Retry-After, in whole seconds (1 to {@code max}), for a request refused with
   * {@code backlog} requests in flight or queued ahead of it.
   *
   * @param timeLeft how long the requester's current certificate is still valid, if known
   */
  synchronized long seconds(int backlog, Optional<Duration> timeLeft) {
    Instant at = clock.instant();
    sample(at);
    double now = at.getEpochSecond() + at.getNano() / 1e9;
    double slot = Math.max(horizon, now + Math.max(0, backlog) / rate);
    double cap = max.toSeconds();
    if (slot - now <= cap) {
      // Only a slot actually handed out moves the horizon; capped answers share the last one.
      horizon = slot + 1 / rate;
    }
    long seconds = (long) Math.ceil(Math.min(slot - now, cap));
    if (timeLeft.isPresent()) {
      seconds = Math.min(seconds, timeLeft.get().toSeconds() / 4);
    }
    return Math.max(1, Math.min(seconds, max.toSeconds()));
  }

  private void sample(Instant at) {
    Duration since = Duration.between(sampledAt, at);
    if (since.compareTo(SAMPLE) < 0) {
      return;
    }
    double measured = (completed - completedAtSample) / (since.toNanos() / 1e9);
    // Smoothed, so that one quiet second after a busy one does not halve the estimate.
    rate = Math.max(FLOOR_RATE, 0.5 * rate + 0.5 * measured);
    completedAtSample = completed;
    sampledAt = at;
  }
}
