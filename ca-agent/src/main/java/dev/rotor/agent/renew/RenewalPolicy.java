package dev.rotor.agent.renew;

import java.time.Duration;
import java.time.Instant;

/**
 * When a certificate is due for renewal: at a fraction of its lifetime (half, as SPIRE's
 * {@code rotationutil} does), optionally spread by jitter so a fleet does not renew in lockstep.
 * With 15-minute certificates, half-life leaves about 7 minutes to ride out a CA outage.
 *
 * <p>The lifetime counts from {@code notBefore + backdate}: the server backdates notBefore by a
 * clock-skew allowance (30 s in {@code IssuanceService.BACKDATE}), which would otherwise count as
 * lifetime already spent. That matters little for 15-minute certificates but decides everything
 * for short ones: a 20-second certificate backdated 30 s would be "past half-life" the moment it
 * is issued, and a sink would renew it in a loop.
 *
 * <p>Pure: every input is an argument, randomness included ({@code u} in [0, 1)).
 *
 * @param fraction the share of the lifetime after which renewal is due (0.5)
 * @param jitter the relative spread of {@link #renewAt}: ±{@code jitter} of the renewal delay (0.1)
 * @param backdate how far the issuer backdates notBefore
 */
public record RenewalPolicy(double fraction, double jitter, Duration backdate) {

  /** Half-life ±10 %, for Rotor's 30-second backdating. */
  public static final RenewalPolicy HALF_LIFE = new RenewalPolicy(0.5, 0.1, Duration.ofSeconds(30));

  public RenewalPolicy {
    if (!(fraction > 0 && fraction < 1) || !(jitter >= 0 && jitter < 1) || backdate.isNegative()) {
      throw new IllegalArgumentException("need 0 < fraction < 1, 0 <= jitter < 1 and backdate >= 0");
    }
  }

  /** The renewal point without jitter: {@code start + fraction × (notAfter − start)}, start = notBefore + backdate. */
  public Instant renewalPoint(Instant notBefore, Instant notAfter) {
    Instant start = start(notBefore, notAfter);
    return start.plus(scale(Duration.between(start, notAfter), fraction));
  }

  /**
   * The jittered renewal time: {@code start + fraction × lifetime × (1 ± jitter)}, where
   * {@code u = 0} gives the earliest and {@code u → 1} the latest.
   */
  public Instant renewAt(Instant notBefore, Instant notAfter, double u) {
    Instant start = start(notBefore, notAfter);
    double factor = fraction * (1 + jitter * (2 * u - 1));
    return start.plus(scale(Duration.between(start, notAfter), factor));
  }

  /**
   * As {@link #renewAt(Instant, Instant, double)} for a certificate received at {@code receivedAt}:
   * the lifetime counts from then at the latest. The server backdates notBefore by 30 s, but never
   * before its issuing CA's notBefore, so a certificate from a CA made moments ago (CA rotation
   * with short lifetimes) starts nearer its notBefore than the backdate assumes.
   */
  public Instant renewAt(Instant notBefore, Instant notAfter, double u, Instant receivedAt) {
    Instant start = start(notBefore, notAfter);
    if (receivedAt.isBefore(start) && receivedAt.isAfter(notBefore)) {
      start = receivedAt;
    }
    double factor = fraction * (1 + jitter * (2 * u - 1));
    return start.plus(scale(Duration.between(start, notAfter), factor));
  }

  /**
   * When a sink should look at a stored certificate again: at its renewal point plus up to
   * {@code jitter} of the renewal delay ({@code u} in [0, 1)), never before it is due. Agents that
   * share a Secret thus wake at different moments, and those that wake later find it renewed.
   */
  public Instant checkAt(Instant notBefore, Instant notAfter, double u) {
    Instant start = start(notBefore, notAfter);
    Duration untilDue = scale(Duration.between(start, notAfter), fraction);
    return start.plus(untilDue).plus(scale(untilDue, jitter * u));
  }

  /** Whether a certificate valid from {@code notBefore} to {@code notAfter} is past its renewal point at {@code now}. */
  public boolean isDue(Instant now, Instant notBefore, Instant notAfter) {
    return !now.isBefore(renewalPoint(notBefore, notAfter));
  }

  private Instant start(Instant notBefore, Instant notAfter) {
    Instant start = notBefore.plus(backdate);
    return start.isAfter(notAfter) ? notBefore : start;
  }

  private static Duration scale(Duration d, double factor) {
    return Duration.ofNanos(Math.round(d.toNanos() * factor));
  }
}
