package dev.rotor.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time at an instant: this process's, and — on Linux, from {@code /proc/stat} — the whole
 * machine's busy and total ticks. Client and server share the machine, so the difference between
 * the two says how much CPU the server (and anything else) had.
 *
 * @param processNanos CPU time of this process, or -1 when the JVM does not say
 * @param machineBusyTicks busy ticks of all CPUs (everything but idle and iowait), or -1
 * @param machineTotalTicks all ticks of all CPUs, or -1
 */
record CpuSample(long processNanos, long machineBusyTicks, long machineTotalTicks) {

  static CpuSample now() {
    long process = -1;
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      process = sun.getProcessCpuTime();
    }
    if (process < 0) {
      process = ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos)
          .orElse(-1L);
    }
    long busy = -1;
    long total = -1;
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).getFirst();
      long[] t = parseCpuLine(first);
      if (t != null) {
        busy = t[0];
        total = t[1];
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc hidden: the report leaves out the machine figure.
    }
    return new CpuSample(process, busy, total);
  }

  /**
   * Parses the aggregate {@code cpu} line of /proc/stat (user nice system idle iowait irq softirq
   * steal ...) into {busy, total}; guest time is already inside user and is not added twice.
   */
  static long[] parseCpuLine(String line) {
    String[] f = line.trim().split("\\s+");
    if (f.length < 5 || !f[0].equals("cpu")) {
      return null;
    }
    long total = 0;
    long idle = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      long v = Long.parseLong(f[i]);
      total += v;
      if (i == 4 || i == 5) {
        idle += v;
      }
    }
    return new long[] {total - idle, total};
  }

  /** CPU seconds this process used since {@code earlier}, or -1 when unknown. */
  double processSecondsSince(CpuSample earlier) {
    if (processNanos < 0 || earlier.processNanos < 0) {
      return -1;
    }
    return (processNanos - earlier.processNanos) / 1e9;
  }

  /** Fraction (0..1) of all CPUs that were busy since {@code earlier}, or -1 when unknown. */
  double machineBusySince(CpuSample earlier) {
    if (machineTotalTicks < 0 || earlier.machineTotalTicks < 0
        || machineTotalTicks == earlier.machineTotalTicks) {
      return -1;
    }
    return (double) (machineBusyTicks - earlier.machineBusyTicks)
        / (machineTotalTicks - earlier.machineTotalTicks);
  }
}
