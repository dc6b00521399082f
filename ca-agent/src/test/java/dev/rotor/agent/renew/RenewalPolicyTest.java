package dev.rotor.agent.renew;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RenewalPolicyTest {

  private static final Instant NB = Instant.parse("2026-11-24T01:00:00Z");
  private static final Instant NA = NB.plus(Duration.ofMinutes(15));
  private final RenewalPolicy p = new RenewalPolicy(0.5, 0.1, Duration.ZERO);

  @Test
  void renewalPointIsHalfLife() {
    assertThat(p.renewalPoint(NB, NA)).isEqualTo(NB.plus(Duration.ofSeconds(450)));
  }

  @Test
  void jitterSpreadsFifteenMinuteCertificatesOverSixPointSevenFiveToEightPointTwoFiveMinutes() {
    assertThat(p.renewAt(NB, NA, 0.0)).isEqualTo(NB.plus(Duration.ofMillis(405_000)));
    assertThat(p.renewAt(NB, NA, 0.5)).isEqualTo(NB.plus(Duration.ofSeconds(450)));
    assertThat(p.renewAt(NB, NA, 0.999_999)).isBetween(NB.plus(Duration.ofMillis(494_990)), NB.plus(Duration.ofSeconds(495)));
    for (int i = 0; i < 1000; i++) {
      assertThat(p.renewAt(NB, NA, Math.random())).isBetween(NB.plus(Duration.ofMillis(405_000)), NB.plus(Duration.ofSeconds(495)));
    }
  }

  @Test
  void aCertificateWhoseNotBeforeWasNotBackdatedCountsFromItsReceipt() {
    // The server clamps notBefore to a CA made 23 s before issuance: a 10 s certificate, NB .. NB + 33 s.
    RenewalPolicy half = RenewalPolicy.HALF_LIFE;
    Instant na = NB.plusSeconds(33);
    Instant received = NB.plusSeconds(23);
    assertThat(half.renewAt(NB, na, 0.5, received)).isEqualTo(received.plusSeconds(5));
    // the 30 s backdate assumption alone would wait until 1.5 s before expiry
    assertThat(half.renewAt(NB, na, 0.5)).isEqualTo(NB.plusMillis(31_500));
    // a normally backdated certificate: the receipt time changes nothing
    Instant nb = NB;
    Instant after = nb.plusSeconds(30);
    assertThat(half.renewAt(nb, NA, 0.5, after)).isEqualTo(half.renewAt(nb, NA, 0.5));
  }

  @Test
  void dueFromTheRenewalPointOn() {
    assertThat(p.isDue(NB.plusSeconds(449), NB, NA)).isFalse();
    assertThat(p.isDue(NB.plusSeconds(450), NB, NA)).isTrue();
    assertThat(p.isDue(NA.plusSeconds(1), NB, NA)).isTrue();
  }

  @Test
  void theServersBackdatingDoesNotCountAsLifetime() {
    // Issued at NB + 30 s for 15 minutes: half-life is 7.5 minutes after issuance.
    Instant issued = NB.plusSeconds(30);
    Instant notAfter = issued.plus(Duration.ofMinutes(15));
    assertThat(RenewalPolicy.HALF_LIFE.renewalPoint(NB, notAfter)).isEqualTo(issued.plusSeconds(450));
    // A 20-second certificate is not due the moment it is issued (it would be with notBefore as the start).
    Instant shortAfter = issued.plusSeconds(20);
    assertThat(RenewalPolicy.HALF_LIFE.isDue(issued.plusSeconds(1), NB, shortAfter)).isFalse();
    assertThat(RenewalPolicy.HALF_LIFE.renewalPoint(NB, shortAfter)).isEqualTo(issued.plusSeconds(10));
    // A validity shorter than the backdate falls back to notBefore rather than a start after notAfter.
    assertThat(RenewalPolicy.HALF_LIFE.renewalPoint(NB, NB.plusSeconds(20))).isEqualTo(NB.plusSeconds(10));
  }

  @Test
  void sinksCheckNeverBeforeDueAndAtMostTenPercentLater() {
    for (double u : new double[] {0, 0.3, 0.999}) {
      Instant at = p.checkAt(NB, NA, u);
      assertThat(p.isDue(at, NB, NA)).isTrue();
      assertThat(at).isBeforeOrEqualTo(NB.plus(Duration.ofSeconds(495)));
    }
  }
}
