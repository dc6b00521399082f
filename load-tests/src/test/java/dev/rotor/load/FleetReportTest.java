package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class FleetReportTest {

  private static final FleetPlan PLAN =
      FleetPlan.of(1_000_000, 10_000, Duration.ofMinutes(15), "rotor.local");

  /** {@code n} latencies of {@code millis} each (exact in the histogram up to 2 ms). */
  private static Histogram latencies(int n, long millis) {
    Histogram h = new Histogram(3);
    h.recordValueWithCount(millis * 1000, n);
    return h;
  }

  private static FleetReport report(long signed, Histogram h, long errors) {
    return new FleetReport(PLAN, 60, signed, h, errors,
        errors == 0 ? Map.of() : Map.of("sign http 503", errors), 1300, 20, 1333, 9_990, 10_000,
        41.5, 700L << 20);
  }

  @Test
  void keepingUpNeedsTheRateTheLatencyAndNoErrors() {
    FleetReport ok = report(133_334, latencies(133_334, 2), 0);
    assertThat(ok.achievedRate()).isCloseTo(2222.2, org.assertj.core.data.Offset.offset(0.1));
    assertThat(ok.keptUp()).isTrue();
    assertThat(ok.shortfalls()).isEmpty();

    // 98.9% of the rate is not enough; 99.0% is.
    assertThat(report(131_867, latencies(10, 12), 0).shortfalls())
        .containsExactly("achieved 98.9% of the required rate (need 99%)");
    assertThat(report(132_000, latencies(10, 12), 0).keptUp()).isTrue();

    assertThat(report(133_334, latencies(1000, 250), 0).shortfalls())
        .singleElement().asString().startsWith("p99 250.").endsWith(" ms (need < 200 ms)");
    assertThat(report(133_334, latencies(1000, 12), 1).shortfalls()).containsExactly("1 errors");
    assertThat(report(0, new Histogram(3), 0).shortfalls())
        .containsExactly("achieved 0.0% of the required rate (need 99%)",
            "no renewal was scheduled in the window");
  }

  @Test
  void resultLineCarriesEveryFigure() {
    assertThat(report(133_334, latencies(133_334, 2), 0).resultLine()).isEqualTo(
        "RESULT renew-fleet identities=1000000 agents=10000 ttl_s=900 required_per_s=2222.2"
            + " achieved_per_s=2222.2 ratio=1.0000 p50_ms=2.00 p99_ms=2.00 max_ms=2.00"
            + " errors=0 handshakes_per_s=22.0 full_handshakes=1300 resumed_handshakes=20"
            + " agents_connected=10000 client_cpu_s=41.50 heap_mb=700 verdict=PASS");
    assertThat(report(1000, latencies(10, 500), 3).resultLine())
        .contains(" achieved_per_s=16.7 ratio=0.0075 ")
        .contains(" errors=3 ").endsWith(" verdict=FAIL");
  }

  @Test
  void humanLinesNameRequiredAchievedHandshakesAndVerdict() {
    assertThat(report(133_334, latencies(133_334, 2), 0).lines()).containsExactly(
        "fleet         1000000 identities on 10000 agents (100 each), ttl 900 s",
        "renewals/s    required 2222.2  achieved 2222.2  (100.0%)",
        "renewals      133334 received in the 60.0 s window; 133334 scheduled in it",
        "latency ms    p50 2.00  p90 2.00  p99 2.00  p99.9 2.00  max 2.00  (from the"
            + " scheduled time)",
        "errors        0",
        "handshakes    22.0/s new TLS handshakes: 1300 full, 20 resumed in the window",
        "agents        9990 of 10000 connected at the start of the window, 10000 at the end;"
            + " 1333 agent certificates renewed during the run",
        "client        cpu 41.5 s (69% of one core), heap 700 MB in use",
        "verdict       PASS: the server keeps up with this fleet");
    assertThat(report(100, latencies(10, 300), 2).lines()).contains(
        "errors        2 (sign http 503: 2)")
        .last().asString().startsWith("verdict       FAIL: achieved 0.1% of the required rate");
  }
}
