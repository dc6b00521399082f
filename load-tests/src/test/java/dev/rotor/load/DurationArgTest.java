package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationArgTest {

  @ParameterizedTest(name = "ok/{0}")
  @CsvSource({
    "60s, 60000",
    "2m, 120000",
    "1m30s, 90000",
    "500ms, 500",
    "1h, 3600000",
    "45, 45000",
    "0s, 0",
    "' 10S ', 10000",
  })
  void parses(String text, long millis) throws UsageException {
    assertThat(DurationArg.parse("--duration", text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "fail/{0}")
  @ValueSource(strings = {"", "s", "5x", "-1s", "1.5s", "60 s", "m5", "10000000000s", "1d"})
  void rejects(String text) {
    assertThatThrownBy(() -> DurationArg.parse("--duration", text))
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith("--duration: '");
  }

  @ParameterizedTest(name = "format/{0}")
  @CsvSource({"60000, 60.0 s", "1500, 1.5 s", "0, 0.0 s"})
  void formats(long millis, String expected) {
    assertThat(DurationArg.format(Duration.ofMillis(millis))).isEqualTo(expected);
  }
}
