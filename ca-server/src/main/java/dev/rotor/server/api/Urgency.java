package dev.rotor.server.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The queue priority of an issuance request from how soon the certificate it replaces expires:
 * the sooner, the higher. Time left is counted in {@link #STEP} steps up to {@link #HORIZON};
 * everything further away, and requests replacing nothing known, share the lowest priority 0.
 * An expired certificate, or none at all because the identity already lapsed (attestation), gets
 * the highest, {@link #MAX}.
 */
final class Urgency {

  static final Duration STEP = Duration.ofSeconds(10);
  static final Duration HORIZON = Duration.ofHours(1);
  static final int MAX = (int) (HORIZON.toSeconds() / STEP.toSeconds());

  private Urgency() {}

  /** 0 (nothing expiring within the horizon, or unknown) to {@link #MAX} (expired). */
  static int priority(Optional<Instant> notAfter, Instant now) {
    if (notAfter.isEmpty()) {
      return 0;
    }
    long left = Duration.between(now, notAfter.get()).toSeconds();
    if (left <= 0) {
      return MAX;
    }
    return (int) Math.max(0, MAX - left / STEP.toSeconds());
  }
}
