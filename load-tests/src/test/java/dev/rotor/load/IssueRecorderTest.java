package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IssueRecorderTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "ok/first         | {\"serial\":\"0a1b\",\"certificate\":\"x\"}                      | 0a1b",
    "ok/after-nested  | {\"sans\":[\"a\",{\"serial\":\"no\"}],\"chain\":{},\"serial\":\"ff\"} | ff",
    "fail/missing     | {\"certificate\":\"x\"}                                         | ",
    "fail/number      | {\"serial\":12}                                                 | ",
    "fail/blank       | {\"serial\":\" \"}                                              | ",
    "fail/array       | [\"serial\"]                                                    | ",
    "fail/not-json    | <html>                                                          | ",
  })
  void serialOf(String name, String body, String expected) {
    assertThat(IssueRecorder.serialOf(utf8(body.trim()))).isEqualTo(expected);
  }

  @Test
  void onlyRequestsCompletingInTheWindowAreMeasuredButAllSerialsAreKept() {
    IssueRecorder r = new IssueRecorder(1_000_000_000L, 2_000_000_000L);
    r.record(900_000_000L, 950_000_000L, 201, utf8("{\"serial\":\"a\"}"), null); // warmup
    r.record(990_000_000L, 1_010_000_000L, 201, utf8("{\"serial\":\"b\"}"), null); // 20 ms
    r.record(1_500_000_000L, 1_530_000_000L, 201, utf8("{\"serial\":\"c\"}"), null); // 30 ms
    r.record(1_990_000_000L, 2_000_000_000L, 201, utf8("{\"serial\":\"d\"}"), null); // after end

    assertThat(r.requests()).isEqualTo(4);
    assertThat(r.issued()).isEqualTo(4);
    assertThat(r.measuredRequests()).isEqualTo(2);
    assertThat(r.measuredIssued()).isEqualTo(2);
    assertThat(r.serials()).containsExactly("a", "b", "c", "d");
    assertThat(r.latencyMicros().getTotalCount()).isEqualTo(2);
    assertThat(r.latencyMicros().getMaxValue()).isBetween(29_900L, 30_100L);
    assertThat(r.errorCount()).isZero();
  }

  @Test
  void errorsAreCountedByKindWithTheFirstDistinctBodies() {
    IssueRecorder r = new IssueRecorder(0, Long.MAX_VALUE);
    for (int i = 0; i < 10; i++) {
      r.record(0, 1_000, 500, utf8("{\"title\":\"boom " + (i % 7) + "\"}"), null);
    }
    r.record(0, 1_000, 429, utf8("slow down"), null);
    r.record(0, 1_000, 0, new byte[0], new TimeoutException("Total timeout 30000 ms elapsed"));
    r.record(0, 1_000, 201, utf8("{\"certificate\":\"x\"}"), null);

    assertThat(r.errorCount()).isEqualTo(13);
    assertThat(r.measuredErrors()).isEqualTo(13);
    assertThat(r.issued()).isZero();
    assertThat(r.errorsByKind()).containsExactly(
        java.util.Map.entry("201 without serial", 1L),
        java.util.Map.entry("http 429", 1L),
        java.util.Map.entry("http 500", 10L),
        java.util.Map.entry("transport TimeoutException", 1L));
    assertThat(r.errorSamples()).hasSize(ErrorTally.MAX_SAMPLES)
        .startsWith("http 500: {\"title\":\"boom 0\"}", "http 500: {\"title\":\"boom 1\"}");
  }

  @Test
  void longErrorBodiesAreCutToOneLine() {
    IssueRecorder r = new IssueRecorder(0, Long.MAX_VALUE);
    r.record(0, 1, 503, utf8("<html>\n  <body>" + "x".repeat(1000) + "</body>\n</html>"), null);
    assertThat(r.errorSamples()).singleElement().satisfies(s -> {
      assertThat(s).startsWith("http 503: <html> <body>xxx").endsWith("…").doesNotContain("\n");
      assertThat(s.length()).isLessThan(320);
    });
  }
}
