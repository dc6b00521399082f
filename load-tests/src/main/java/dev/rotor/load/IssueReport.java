package dev.rotor.load;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * The figures of an {@code issue} run and how they are written: human lines, and one
 * {@code RESULT key=value ...} line for scripts. Percentages and rates use a '.' decimal point
 * whatever the locale.
 *
 * @param certsPerSecond 201 responses completed in the measured window ÷ its length
 * @param latencyMicros latency of requests completed in the measured window
 * @param errors errors over the whole run (warmup and drain included)
 * @param missing received serials the server does not have; -1 when the check did not run
 * @param ceilingPerSecond the ECDSA issuance ceiling; 0 when not measured
 * @param clientCpuSeconds this process's CPU time in the measured window; -1 when unknown
 */
record IssueReport(
    double certsPerSecond,
    long requests,
    Histogram latencyMicros,
    Map<String, Long> errorsByKind,
    long errors,
    long missing,
    double ceilingPerSecond,
    double clientCpuSeconds) {

  /** certs/s ÷ ceiling, or 0 when there is no ceiling. */
  double ratio() {
    return ceilingPerSecond > 0 ? certsPerSecond / ceilingPerSecond : 0;
  }

  static double millis(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }

  static double maxMillis(Histogram h) {
    return h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0;
  }

  /** {@code p50 12.35  p90 ...  max 80.90} in milliseconds. */
  static String latencyLine(Histogram h) {
    return String.format(Locale.ROOT, "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
        millis(h, 50), millis(h, 90), millis(h, 99), millis(h, 99.9), maxMillis(h));
  }

  /** {@code 0}, or {@code 12 (http 500: 10, transport TimeoutException: 2)}. */
  static String errorsLine(long errors, Map<String, Long> byKind) {
    if (errors == 0) {
      return "0";
    }
    return errors + " (" + byKind.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ")) + ")";
  }

  String resultLine() {
    Histogram h = latencyMicros;
    return String.format(Locale.ROOT,
        "RESULT certs_per_s=%.1f requests=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f"
            + " max_ms=%.2f errors=%d missing=%d ceiling_per_s=%.1f ratio=%.4f client_cpu_s=%.2f",
        certsPerSecond, requests, millis(h, 50), millis(h, 90), millis(h, 99), millis(h, 99.9),
        maxMillis(h), errors, missing, ceilingPerSecond, ratio(), clientCpuSeconds);
  }

  /** Exit status: 0 only when nothing failed and every serial was found. */
  int exitCode() {
    return errors == 0 && missing == 0 ? 0 : 1;
  }
}
