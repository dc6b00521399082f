package dev.rotor.agent.renew;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesFromOneSecondAndStopsAtThirtySeconds() {
    Backoff b = Backoff.DEFAULT;
    assertThat(IntStream.range(0, 8).mapToObj(b::ceiling).map(Duration::toSeconds).toList())
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
    assertThat(b.ceiling(10_000)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void jitterStaysBetweenHalfAndAllOfTheCeiling() {
    Backoff b = Backoff.DEFAULT;
    assertThat(b.delay(3, 0.0)).isEqualTo(Duration.ofSeconds(4));
    assertThat(b.delay(3, 1.0)).isEqualTo(Duration.ofSeconds(8));
    for (int attempt = 0; attempt < 50; attempt++) {
      Duration d = b.delay(attempt, Math.random());
      assertThat(d).isBetween(b.ceiling(attempt).dividedBy(2), b.ceiling(attempt));
      assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }
  }

  @Test
  void refusesAnInitialDelayAboveTheCap() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(40), Duration.ofSeconds(30)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aServersRetryAfterIsWaitedAtLeastWithJitterOnTop() {
    Backoff b = Backoff.DEFAULT;
    Optional<Duration> hint = Optional.of(Duration.ofSeconds(20));
    assertThat(b.delay(0, 0.0, hint)).isEqualTo(Duration.ofSeconds(20));
    assertThat(b.delay(0, 1.0, hint)).isEqualTo(Duration.ofSeconds(24));
    // A hint above the exponential cap is still honoured; a short one replaces a long backoff.
    assertThat(b.delay(0, 0.5, Optional.of(Duration.ofSeconds(45)))).isEqualTo(Duration.ofMillis(49_500));
    assertThat(b.delay(9, 0.5, Optional.of(Duration.ofSeconds(2)))).isEqualTo(Duration.ofMillis(2_500));
    // At least one second of spread even for a 1 s hint, so a refused fleet does not return in one instant.
    assertThat(b.delay(0, 1.0, Optional.of(Duration.ofSeconds(1)))).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.delay(3, 0.3, Optional.empty())).isEqualTo(b.delay(3, 0.3));
  }

  @Test
  void agentsRefusedTogetherWithTheSameHintComeBackSpreadOverTheJitter() {
    Backoff b = Backoff.DEFAULT;
    java.util.Random random = new java.util.Random(42);
    long[] perSecond = new long[5];
    for (int i = 0; i < 10_000; i++) {
      Duration d = b.delay(0, random.nextDouble(), Optional.of(Duration.ofSeconds(10)));
      assertThat(d).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(12));
      perSecond[(int) (d.toMillis() / 500 - 20)]++;
    }
    // Four half-second buckets between 10 s and 12 s, each with about a quarter.
    for (int k = 0; k < 4; k++) {
      assertThat(perSecond[k]).isBetween(2_200L, 2_800L);
    }
  }
}
