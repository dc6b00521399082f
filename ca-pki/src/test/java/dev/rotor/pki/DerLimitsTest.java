package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DerLimitsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "ok/empty-sequence, 3000, ",
      "ok/nested, 30053003020101, ",
      "ok/long-form-length, 3081020500, ",
      "ok/high-tag-number, 3004bf8101 00, ",
      "fail/indefinite-length, 30800000, indefinite length",
      "fail/trailing, 300000, trailing data after the DER value",
      "fail/two-values, 30003000, trailing data after the DER value",
      "fail/child-overruns-parent, 300302050000, length exceeds the enclosing value",
      "fail/truncated-length, 3082, truncated length",
      "fail/five-octet-length, 30850000000000, length too large",
      "fail/length-beyond-input, 3005020100, length exceeds the enclosing value",
      "fail/huge-tag, 1fffffffff7f00, tag number too large"})
  void checksShape(String name, String hex, String problem) {
    assertThat(DerLimits.check(HexFormat.of().parseHex(hex.replace(" ", "")))).isEqualTo(problem);
  }

  @Test
  void depthLimitIsExact() {
    assertThat(DerLimits.check(nested(DerLimits.MAX_DEPTH))).isNull();
    assertThat(DerLimits.check(nested(DerLimits.MAX_DEPTH + 1))).isEqualTo("nested too deeply");
    assertThat(DerLimits.check(new byte[0])).isEqualTo("empty input");
    assertThat(DerLimits.check(null)).isEqualTo("empty input");
  }

  @Test
  void firstElementIsTheRawBytesOfTheFirstChild() {
    // SEQUENCE { SEQUENCE { INTEGER 7 }, NULL }: the CSR's certificationRequestInfo position.
    byte[] der = HexFormat.of().parseHex("30073003020107" + "0500");
    assertThat(DerLimits.check(der)).isNull();
    assertThat(DerLimits.firstElement(der)).isEqualTo(HexFormat.of().parseHex("3003020107"));
    // Long-form lengths on both levels.
    byte[] longForm = HexFormat.of().parseHex("3081083081030201070500");
    assertThat(DerLimits.check(longForm)).isNull();
    assertThat(DerLimits.firstElement(longForm)).isEqualTo(HexFormat.of().parseHex("308103020107"));
  }

  private static byte[] nested(int depth) {
    byte[] out = new byte[depth * 2];
    for (int i = 0; i < depth; i++) {
      out[2 * i] = 0x30;
      out[2 * i + 1] = (byte) (2 * (depth - i - 1));
    }
    return out;
  }
}
