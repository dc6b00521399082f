package dev.rotor.server.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.ca.RotationSchedule.Step;
import dev.rotor.server.ca.RotationSchedule.Validity;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RotationScheduleTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Validity THIRTY_DAYS = new Validity(T0, T0.plus(Duration.ofDays(30)));

  @Test
  void prepares_the_successor_at_half_of_the_lifetime() {
    assertThat(RotationSchedule.prepareAt(THIRTY_DAYS)).isEqualTo(T0.plus(Duration.ofDays(15)));
    assertThat(RotationSchedule.next(T0.plus(Duration.ofDays(15)).minusSeconds(1), THIRTY_DAYS, Optional.empty())).isEqualTo(Step.NONE);
    assertThat(RotationSchedule.next(T0.plus(Duration.ofDays(15)), THIRTY_DAYS, Optional.empty())).isEqualTo(Step.PREPARE);
  }

  @Test
  void activates_it_when_a_sixth_of_the_lifetime_remains() {
    Validity next = new Validity(T0.plus(Duration.ofDays(15)), T0.plus(Duration.ofDays(45)));
    assertThat(RotationSchedule.activateAt(THIRTY_DAYS)).isEqualTo(T0.plus(Duration.ofDays(25)));
    assertThat(RotationSchedule.next(T0.plus(Duration.ofDays(20)), THIRTY_DAYS, Optional.of(next))).isEqualTo(Step.NONE);
    assertThat(RotationSchedule.next(T0.plus(Duration.ofDays(25)), THIRTY_DAYS, Optional.of(next))).isEqualTo(Step.ACTIVATE);
  }

  @Test
  void a_server_that_was_down_past_activation_time_prepares_first_then_activates() {
    Instant late = T0.plus(Duration.ofDays(29));
    assertThat(RotationSchedule.next(late, THIRTY_DAYS, Optional.empty())).isEqualTo(Step.PREPARE);
    assertThat(RotationSchedule.next(late, THIRTY_DAYS, Optional.of(new Validity(late, late.plus(Duration.ofDays(30))))))
        .isEqualTo(Step.ACTIVATE);
  }

  @Test
  void minute_scale_lifetimes_follow_the_same_fractions() {
    Validity three = new Validity(T0, T0.plus(Duration.ofMinutes(3)));
    assertThat(RotationSchedule.prepareAt(three)).isEqualTo(T0.plusSeconds(90));
    assertThat(RotationSchedule.activateAt(three)).isEqualTo(T0.plusSeconds(150));
  }

  @Test
  void a_retired_ca_leaves_the_bundle_only_after_its_last_certificate_expired() {
    Instant now = T0.plus(Duration.ofDays(26));
    assertThat(RotationSchedule.isRemovable(now, THIRTY_DAYS, Optional.of(now.plusSeconds(1)))).isFalse();
    assertThat(RotationSchedule.isRemovable(now, THIRTY_DAYS, Optional.of(now))).isTrue();
    assertThat(RotationSchedule.isRemovable(now, THIRTY_DAYS, Optional.empty())).isTrue();
    // its own expiry ends every certificate it signed (leaves are capped at the issuer's notAfter)
    assertThat(RotationSchedule.isRemovable(THIRTY_DAYS.notAfter(), THIRTY_DAYS, Optional.of(T0.plus(Duration.ofDays(40))))).isTrue();
  }
}
