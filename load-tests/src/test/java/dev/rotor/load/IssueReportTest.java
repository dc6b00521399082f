package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class IssueReportTest {

  /** 1..1000 ms, one request each, in microseconds. */
  private static Histogram uniformMillis() {
    Histogram h = new Histogram(3);
    for (int ms = 1; ms <= 1000; ms++) {
      h.recordValue(ms * 1000L);
    }
    return h;
  }

  @Test
  void latencyLineIsInMillisecondsAtTheUsualPercentiles() {
    assertThat(IssueReport.latencyLine(uniformMillis()))
        .isEqualTo("p50 500.22  p90 900.10  p99 990.21  p99.9 999.42  max 1000.45");
  }

  @Test
  void emptyHistogramPrintsZeros() {
    assertThat(IssueReport.latencyLine(new Histogram(3)))
        .isEqualTo("p50 0.00  p90 0.00  p99 0.00  p99.9 0.00  max 0.00");
  }

  @Test
  void errorsLineListsKinds() {
    Map<String, Long> kinds = new TreeMap<>(Map.of("http 500", 8L, "transport TimeoutException", 2L));
    assertThat(IssueReport.errorsLine(10, kinds))
        .isEqualTo("10 (http 500: 8, transport TimeoutException: 2)");
    assertThat(IssueReport.errorsLine(0, Map.of())).isEqualTo("0");
  }

  @Test
  void resultLineIsOneMachineReadableLine() {
    IssueReport r = new IssueReport(2000, 125_000, uniformMillis(), Map.of(), 0, 0, 25_000, 12.5);
    assertThat(r.resultLine()).isEqualTo(
        "RESULT certs_per_s=2000.0 requests=125000 p50_ms=500.22 p90_ms=900.10 p99_ms=990.21"
            + " p999_ms=999.42 max_ms=1000.45 errors=0 missing=0 ceiling_per_s=25000.0"
            + " ratio=0.0800 client_cpu_s=12.50");
    assertThat(r.ratio()).isEqualTo(0.08);
    assertThat(r.exitCode()).isZero();
  }

  @Test
  void anyErrorOrMissingOrUncheckedSerialFailsTheRun() {
    Histogram h = uniformMillis();
    assertThat(new IssueReport(1, 1, h, Map.of("http 500", 1L), 1, 0, 1, 0).exitCode()).isOne();
    assertThat(new IssueReport(1, 1, h, Map.of(), 0, 3, 1, 0).exitCode()).isOne();
    assertThat(new IssueReport(1, 1, h, Map.of(), 0, -1, 1, 0).exitCode()).isOne();
  }

  @Test
  void noCeilingMeansNoRatio() {
    assertThat(new IssueReport(100, 1, new Histogram(3), Map.of(), 0, 0, 0, -1).ratio()).isZero();
  }
}
