package dev.rotor.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UrgencyTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static int in(Duration left) {
    return Urgency.priority(Optional.of(NOW.plus(left)), NOW);
  }

  @Test
  void sooner_expiry_means_higher_priority() {
    assertThat(in(Duration.ofSeconds(30))).isGreaterThan(in(Duration.ofMinutes(5)));
    assertThat(in(Duration.ofMinutes(5))).isGreaterThan(in(Duration.ofMinutes(14)));
    assertThat(in(Duration.ofMinutes(14))).isGreaterThan(in(Duration.ofMinutes(59)));
  }

  @Test
  void expired_is_the_highest_and_unknown_or_far_away_the_lowest() {
    assertThat(in(Duration.ZERO)).isEqualTo(Urgency.MAX);
    assertThat(in(Duration.ofSeconds(-5))).isEqualTo(Urgency.MAX);
    assertThat(in(Duration.ofHours(2))).isZero();
    assertThat(in(Duration.ofDays(300))).isZero();
    assertThat(Urgency.priority(Optional.empty(), NOW)).isZero();
  }

  @Test
  void within_one_step_requests_share_a_priority() {
    assertThat(in(Duration.ofSeconds(121))).isEqualTo(in(Duration.ofSeconds(129)));
    assertThat(in(Duration.ofSeconds(121))).isEqualTo(in(Duration.ofSeconds(131)) + 1);
  }
}
