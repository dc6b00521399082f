package dev.rotor.server.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

  @ParameterizedTest(name = "ok/{0}")
  @CsvSource({
      "2160h0m0s, PT2160H",
      "15m, PT15M",
      "1h30m, PT1H30M",
      "1.5h, PT1H30M",
      "90s, PT1M30S",
      "300ms, PT0.3S",
      "0, PT0S",
      "+10m, PT10M",
      "1m0.5s, PT1M0.5S"})
  void parsesGoDurations(String text, String expected) {
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest(name = "fail/{0}")
  @ValueSource(strings = {"", "10", "-5m", "ten minutes", "5 m", "1d", "m", "1h-1m", "99999999999999999999h"})
  void refusesAnythingElse(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
