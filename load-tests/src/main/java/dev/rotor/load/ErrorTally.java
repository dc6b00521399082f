package dev.rotor.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Errors counted by kind ({@code http 403}, {@code transport TimeoutException}, ...), with the
 * first few distinct {@code kind: body} lines kept for printing. Thread-safe.
 */
final class ErrorTally {

  static final int MAX_SAMPLES = 5;

  private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();
  private final List<String> samples = new ArrayList<>();

  /** Counts one error of {@code kind}; {@code detail} (a body or message) may become a sample. */
  void add(String kind, String detail) {
    byKind.computeIfAbsent(kind, k -> new LongAdder()).increment();
    String line = kind + ": " + Http.abbreviate(detail);
    synchronized (samples) {
      if (samples.size() < MAX_SAMPLES && !samples.contains(line)) {
        samples.add(line);
      }
    }
  }

  long count() {
    return byKind.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Counts by kind, sorted by kind. */
  Map<String, Long> byKind() {
    Map<String, Long> out = new TreeMap<>();
    byKind.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  List<String> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }
}
