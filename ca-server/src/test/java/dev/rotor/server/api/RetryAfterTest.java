package dev.rotor.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

  /** A clock the test moves. */
  static final class StepClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void refusals_at_one_moment_are_spread_at_the_measured_completion_rate() {
    StepClock clock = new StepClock();
    RetryAfter r = new RetryAfter(clock, Duration.ofSeconds(60));
    // 200 completions in one second: the server serves 100/s (smoothed from the 50/s floor: 0.5*50 + 0.5*200 = 125).
    for (int i = 0; i < 200; i++) {
      r.completed();
    }
    clock.advance(Duration.ofSeconds(1));
    assertThat(r.rate()).isEqualTo(125.0);
    List<Long> answers = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      answers.add(r.seconds(0, Optional.empty()));
    }
    Map<Long, Integer> perSecond = new TreeMap<>();
    answers.forEach(s -> perSecond.merge(s, 1, Integer::sum));
    // 1,000 refused at 125/s come back over 8 seconds, at most 126 in any one second.
    assertThat(perSecond.keySet()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(perSecond.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(126));
  }

  @Test
  void a_backlog_ahead_pushes_the_first_slot_back() {
    StepClock clock = new StepClock();
    RetryAfter r = new RetryAfter(clock, Duration.ofSeconds(60));
    // floor rate 50/s: 500 ahead take 10 s
    assertThat(r.seconds(500, Optional.empty())).isEqualTo(10);
  }

  @Test
  void never_more_than_the_cap_nor_a_quarter_of_the_time_left_and_never_below_one_second() {
    StepClock clock = new StepClock();
    RetryAfter r = new RetryAfter(clock, Duration.ofSeconds(30));
    assertThat(r.seconds(1_000_000, Optional.empty())).isEqualTo(30);
    assertThat(r.seconds(1_000_000, Optional.of(Duration.ofSeconds(40)))).isEqualTo(10);
    assertThat(r.seconds(1_000_000, Optional.of(Duration.ofSeconds(2)))).isEqualTo(1);
    assertThat(r.seconds(0, Optional.of(Duration.ZERO))).isEqualTo(1);
  }

  @Test
  void the_horizon_is_forgotten_once_it_has_passed() {
    StepClock clock = new StepClock();
    RetryAfter r = new RetryAfter(clock, Duration.ofSeconds(60));
    for (int i = 0; i < 500; i++) {
      r.seconds(0, Optional.empty()); // 10 s of slots at 50/s
    }
    assertThat(r.seconds(0, Optional.empty())).isBetween(10L, 11L);
    clock.advance(Duration.ofSeconds(20));
    assertThat(r.seconds(0, Optional.empty())).isEqualTo(1);
  }

  @Test
  void a_cap_below_one_second_is_refused() {
    assertThatThrownBy(() -> new RetryAfter(Clock.systemUTC(), Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
