package dev.rotor.agent.renew;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
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
}
