package dev.rotor.load;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written on the command line: {@code 60s}, {@code 2m}, {@code 500ms}, {@code 1h},
 * compounds such as {@code 1m30s}, and a bare number meaning seconds.
 */
final class DurationArg {

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h))+");

  private DurationArg() {}

  static Duration parse(String option, String text) throws UsageException {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(t));
    }
    if (!WHOLE.matcher(t).matches()) {
      throw new UsageException(
          option + ": '" + text + "' is not a duration (examples: 60s, 2m, 1m30s, 500ms)");
    }
    Duration total = Duration.ZERO;
    Matcher m = PART.matcher(t);
    while (m.find()) {
      if (m.group(1).length() > 9) {
        throw new UsageException(option + ": '" + text + "' is too long");
      }
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
    }
    return total;
  }

  /** Seconds with one decimal, for printing ("60.0 s"). */
  static String format(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toNanos() / 1e9);
  }
}
