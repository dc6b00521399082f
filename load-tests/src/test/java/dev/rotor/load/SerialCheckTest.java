package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SerialCheckTest {

  @ParameterizedTest(name = "normalize({0}) = {1}")
  @CsvSource({
    "0a1b, a1b",
    "0A:1B, a1b",
    "A1B, a1b",
    "000, 0",
    "' 7f ', 7f",
  })
  void normalize(String serial, String expected) {
    assertThat(SerialCheck.normalize(serial)).isEqualTo(expected);
  }

  @Test
  void countsReceivedSerialsTheServerDoesNotList() {
    Set<String> listed = Set.of("a1b", "ff");
    assertThat(SerialCheck.countMissing(List.of("0A1B", "FF", "0c", "0c"), listed)).isOne();
    assertThat(SerialCheck.countMissing(List.of(), listed)).isZero();
  }
}
