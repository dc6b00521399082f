package dev.rotor.server.ca;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When the issuing CA's slots move (SPIRE's schedule): the next intermediate is prepared at half
 * of the active one's lifetime and published at once; it becomes the signer when a sixth of the
 * active one's lifetime remains; a retired one leaves the bundle once every certificate it signed
 * has expired. Pure: a function of the certificates' validity and the time.
 */
public final class RotationSchedule {

  /** What the driver should do now. */
  public enum Step { NONE, PREPARE, ACTIVATE }

  /** The validity of a CA certificate. */
  public record Validity(Instant notBefore, Instant notAfter) {
    public Duration lifetime() {
      return Duration.between(notBefore, notAfter);
    }
  }

  private RotationSchedule() {}

  /** When the successor of {@code active} is prepared: at half its lifetime. */
  public static Instant prepareAt(Validity active) {
    return active.notBefore().plus(active.lifetime().dividedBy(2));
  }

  /** When the successor takes over: when a sixth of {@code active}'s lifetime remains. */
  public static Instant activateAt(Validity active) {
    return active.notAfter().minus(active.lifetime().dividedBy(6));
  }

  /**
   * The step due at {@code now}.
   *
   * @param prepared the prepared successor, if there is one
   */
  public static Step next(Instant now, Validity active, Optional<Validity> prepared) {
    if (prepared.isPresent()) {
      return now.isBefore(activateAt(active)) ? Step.NONE : Step.ACTIVATE;
    }
    // A successor is also due if activation time has come without one (a server that was down).
    return now.isBefore(prepareAt(active)) ? Step.NONE : Step.PREPARE;
  }

  /**
   * Whether a retired CA may leave the bundle: none of its certificates is still valid (its own
   * expiry ends them all, since leaves are capped at their issuer's notAfter).
   *
   * @param lastLeafNotAfter the latest notAfter among the certificates it signed, if any
   */
  public static boolean isRemovable(Instant now, Validity ca, Optional<Instant> lastLeafNotAfter) {
    if (!now.isBefore(ca.notAfter())) {
      return true;
    }
    return lastLeafNotAfter.map(t -> !now.isBefore(t)).orElse(true);
  }
}
