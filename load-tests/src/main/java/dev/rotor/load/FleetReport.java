package dev.rotor.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The figures of one {@code renew-fleet} run, the verdict, and how they are written: human lines
 * and one {@code RESULT renew-fleet key=value ...} line for scripts ('.' decimals in any locale).
 *
 * @param windowSeconds length of the measured window
 * @param signedInWindow workload certificates received while the window was open
 * @param latencyMicros scheduled time to answer, for renewals scheduled in the window
 * @param errors errors over the whole run (warmup, agent renewals and drain included)
 * @param fullHandshakes full TLS handshakes in the window
 * @param resumedHandshakes resumed TLS handshakes in the window
 * @param agentRenewals agent certificates renewed over the whole run
 * @param connectedAtStart agent connections open at the start of the window
 * @param connectedAtEnd agent connections open at the end of the window
 * @param clientCpuSeconds this process's CPU in the window; -1 when unknown
 * @param heapUsedBytes heap in use at the end of the window
 */
record FleetReport(
    FleetPlan plan,
    double windowSeconds,
    long signedInWindow,
    Histogram latencyMicros,
    long errors,
    Map<String, Long> errorsByKind,
    long fullHandshakes,
    long resumedHandshakes,
    long agentRenewals,
    long connectedAtStart,
    long connectedAtEnd,
    double clientCpuSeconds,
    long heapUsedBytes) {

  /** Achieved must be at least this share of required. */
  static final double MIN_RATIO = 0.99;
  /** p99 latency must be below this. */
  static final double MAX_P99_MILLIS = 200;

  double requiredRate() {
    return plan.requiredRate();
  }

  double achievedRate() {
    return windowSeconds > 0 ? signedInWindow / windowSeconds : 0;
  }

  /** achieved ÷ required. */
  double ratio() {
    return achievedRate() / requiredRate();
  }

  double p99Millis() {
    return IssueReport.millis(latencyMicros, 99);
  }

  double handshakesPerSecond() {
    return windowSeconds > 0 ? (fullHandshakes + resumedHandshakes) / windowSeconds : 0;
  }

  /** Why the fleet did not keep up; empty when it did. */
  List<String> shortfalls() {
    List<String> out = new ArrayList<>();
    if (ratio() < MIN_RATIO) {
      out.add(String.format(Locale.ROOT, "achieved %.1f%% of the required rate (need %.0f%%)",
          100 * ratio(), 100 * MIN_RATIO));
    }
    if (latencyMicros.getTotalCount() == 0) {
      out.add("no renewal was scheduled in the window");
    } else if (p99Millis() >= MAX_P99_MILLIS) {
      out.add(String.format(Locale.ROOT, "p99 %.1f ms (need < %.0f ms)", p99Millis(),
          MAX_P99_MILLIS));
    }
    if (errors > 0) {
      out.add(errors + " errors");
    }
    return out;
  }

  boolean keptUp() {
    return shortfalls().isEmpty();
  }

  /** The human summary, one line per figure. */
  List<String> lines() {
    Histogram h = latencyMicros;
    List<String> out = new ArrayList<>();
    out.add(String.format(Locale.ROOT, "fleet         %d identities on %d agents (%d each),"
            + " ttl %d s", plan.identities(), plan.agents(), plan.workloadsPerAgent(),
        plan.ttl().toSeconds()));
    out.add(String.format(Locale.ROOT, "renewals/s    required %.1f  achieved %.1f  (%.1f%%)",
        requiredRate(), achievedRate(), 100 * ratio()));
    out.add(String.format(Locale.ROOT, "renewals      %d received in the %.1f s window; %d"
        + " scheduled in it", signedInWindow, windowSeconds, h.getTotalCount()));
    out.add("latency ms    " + IssueReport.latencyLine(h) + "  (from the scheduled time)");
    out.add("errors        " + IssueReport.errorsLine(errors, errorsByKind));
    out.add(String.format(Locale.ROOT, "handshakes    %.1f/s new TLS handshakes: %d full, %d"
        + " resumed in the window", handshakesPerSecond(), fullHandshakes, resumedHandshakes));
    out.add(String.format(Locale.ROOT, "agents        %d of %d connected at the start of the window,"
        + " %d at the end; %d agent certificates renewed during the run", connectedAtStart,
        plan.agents(), connectedAtEnd, agentRenewals));
    out.add(String.format(Locale.ROOT, "client        cpu %s, heap %d MB in use",
        clientCpuSeconds < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f s (%.0f%% of one"
            + " core)", clientCpuSeconds, 100 * clientCpuSeconds / windowSeconds),
        heapUsedBytes >> 20));
    out.add(keptUp() ? "verdict       PASS: the server keeps up with this fleet"
        : "verdict       FAIL: " + String.join("; ", shortfalls()));
    return out;
  }

  String resultLine() {
    Histogram h = latencyMicros;
    return String.format(Locale.ROOT,
        "RESULT renew-fleet identities=%d agents=%d ttl_s=%d required_per_s=%.1f"
            + " achieved_per_s=%.1f ratio=%.4f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d"
            + " handshakes_per_s=%.1f full_handshakes=%d resumed_handshakes=%d"
            + " agents_connected=%d client_cpu_s=%.2f heap_mb=%d verdict=%s",
        plan.identities(), plan.agents(), plan.ttl().toSeconds(), requiredRate(), achievedRate(),
        ratio(), IssueReport.millis(h, 50), IssueReport.millis(h, 99), IssueReport.maxMillis(h),
        errors, handshakesPerSecond(), fullHandshakes, resumedHandshakes, connectedAtEnd,
        clientCpuSeconds, heapUsedBytes >> 20, keptUp() ? "PASS" : "FAIL");
  }
}
