package dev.rotor.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The committed Jazzer seeds of one fuzz test method, as (file name, bytes). Seeds are named for
 * their verdict: {@code ok-*} must be accepted and {@code fail-*} refused, which keeps the corpus
 * honest (a seed that no longer reaches the code it was written for shows up as a failure).
 */
final class FuzzSeeds {

  /**
   * CPU time of the test thread allowed per input: generous (a valid RSA-8192 CSR verifies in well
   * under 100 ms even instrumented), but a parser going quadratic on 64 KiB exceeds it. CPU time
   * rather than wall time, so that a busy shared machine does not fail the run.
   */
  static final Duration PER_INPUT = Duration.ofSeconds(5);

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final java.util.Set<String> warm = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Something that consumes one input and may refuse it. */
  interface Target {
    void run(byte[] input) throws Exception;
  }

  private FuzzSeeds() {}

  /** The current thread's CPU time, to pass to {@link #assertBounded}. */
  static long cpuNanos() {
    return THREADS.getCurrentThreadCpuTime();
  }

  static void assertBounded(long startCpuNanos) {
    Duration took = Duration.ofNanos(cpuNanos() - startCpuNanos);
    if (took.compareTo(PER_INPUT) >= 0) {
      throw new AssertionError("one input took " + took + " of CPU time; the bound is " + PER_INPUT);
    }
  }

  /**
   * Runs every seed through {@code target} once, outcomes ignored, so that the classes they reach
   * are loaded and instrumented before any input is timed: under Jazzer the first input reaching
   * BouncyCastle's RSA code otherwise pays for hundreds of classes (6 s once, a false finding).
   * Call it from the fuzz method, before timing: the agent instruments only once fuzzing starts.
   * Runs once per (test, method).
   */
  static void warmUp(Class<?> test, String method, Target target) {
    if (!warm.add(test.getName() + "#" + method)) {
      return;
    }
    of(test, method).forEach(args -> {
      try {
        target.run((byte[]) args.get()[1]);
      } catch (Exception refusedOrNot) {
        // only the loading matters here; the fuzz and verdict tests judge the outcome
      }
    });
  }

  static Stream<Arguments> of(Class<?> test, String method) {
    URL dir = test.getResource(test.getSimpleName() + "Inputs/" + method);
    if (dir == null) {
      throw new IllegalStateException("no seed directory for " + test.getSimpleName() + "#" + method);
    }
    try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
      return files.sorted().map(f -> Arguments.of(f.getFileName().toString(), read(f))).toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] read(Path f) {
    try {
      return Files.readAllBytes(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
