package dev.rotor.load;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What ApacheBench ({@code ab}) printed for one run: requests per second, completed and failed
 * requests, non-2xx responses, and the median and 99th percentile of the total request time
 * (ab reports whole milliseconds).
 */
record AbResult(double requestsPerSecond, long complete, long failed, long non2xx, int p50Ms, int p99Ms) {

  private static final Pattern RPS = Pattern.compile("Requests per second:\\s+([0-9.]+)");
  private static final Pattern COMPLETE = Pattern.compile("Complete requests:\\s+(\\d+)");
  private static final Pattern FAILED = Pattern.compile("Failed requests:\\s+(\\d+)");
  private static final Pattern NON2XX = Pattern.compile("Non-2xx responses:\\s+(\\d+)");
  private static final Pattern P50 = Pattern.compile("\\n\\s+50%\\s+(\\d+)");
  private static final Pattern P99 = Pattern.compile("\\n\\s+99%\\s+(\\d+)");

  static AbResult parse(String output) {
    return new AbResult(Double.parseDouble(find(RPS, output, "Requests per second")), Long.parseLong(find(COMPLETE, output, "Complete requests")),
        Long.parseLong(find(FAILED, output, "Failed requests")), optional(NON2XX, output), (int) optional(P50, output),
        (int) optional(P99, output));
  }

  boolean clean() {
    return failed == 0 && non2xx == 0 && complete > 0;
  }

  private static String find(Pattern p, String text, String what) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("ab output has no '" + what + "' line: " + text.lines().limit(30).toList());
    }
    return m.group(1);
  }

  private static long optional(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
