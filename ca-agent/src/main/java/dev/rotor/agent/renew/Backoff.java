package dev.rotor.agent.renew;

import java.time.Duration;
import java.util.Optional;

/**
 * Capped exponential backoff with "equal jitter": attempt {@code n} (0-based) waits between half
 * and all of {@code min(max, initial × 2^n)}. The cap keeps an agent retrying often enough to
 * renew within minutes of a CA's return (30 s for 10–15 minute certificates); the jitter keeps a
 * fleet that lost the CA at the same moment from returning in one wave.
 *
 * @param initial the ceiling of the first delay
 * @param max the largest delay ever returned
 */
public record Backoff(Duration initial, Duration max) {

  /** 1 s doubling to 30 s. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

  public Backoff {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + ", " + max);
    }
  }

  /** The delay before retry number {@code attempt} (0 for the first retry), for {@code u} in [0, 1). */
  public Duration delay(int attempt, double u) {
    long ceiling = ceiling(attempt).toMillis();
    long half = ceiling / 2;
    return Duration.ofMillis(half + Math.round((ceiling - half) * Math.min(Math.max(u, 0), 1)));
  }

  /**
   * Jitter on top of a server's Retry-After: up to this share of it (at least up to 1 s), so that
   * the agents a server refused together do not all return in the same instant.
   */
  public static final double RETRY_AFTER_JITTER = 0.2;

  /**
   * The delay before retry number {@code attempt}: with a server's {@code Retry-After}, at least
   * that long plus jitter (the server knows when it will have room, so its hint replaces the
   * exponential ceiling, up or down); without one, {@link #delay(int, double)}.
   */
  public Duration delay(int attempt, double u, Optional<Duration> retryAfter) {
    if (retryAfter.isEmpty()) {
      return delay(attempt, u);
    }
    Duration hint = retryAfter.get().isNegative() ? Duration.ZERO : retryAfter.get();
    long spread = Math.max(1_000, Math.round(hint.toMillis() * RETRY_AFTER_JITTER));
    return hint.plusMillis(Math.round(spread * Math.min(Math.max(u, 0), 1)));
  }

  /** {@code min(max, initial × 2^attempt)}. */
  public Duration ceiling(int attempt) {
    int shift = Math.min(Math.max(attempt, 0), 30);
    long ms = initial.toMillis() << shift;
    return ms <= 0 || ms > max.toMillis() ? max : Duration.ofMillis(ms);
  }
}
