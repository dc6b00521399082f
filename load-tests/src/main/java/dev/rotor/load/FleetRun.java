package dev.rotor.load;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The open loop: arrival {@code n} of the {@link FleetPlan} is handed to its agent at its due time
 * ({@link Arrivals}: the full rate, after a linear climb during the ramp),
 * whatever became of the earlier ones, through warmup and the measured window; then the renewals
 * still out are waited for (up to the request timeout).
 */
final class FleetRun {

  /**
   * What one run measured.
   *
   * @param fullHandshakes full TLS handshakes completed in the window
   * @param resumedHandshakes resumed TLS handshakes completed in the window
   * @param connectedAtStart TLS connections open when the window opened
   * @param connectedAtEnd TLS connections open when the window closed
   * @param maxDispatchLagMicros the most an arrival was handed to its agent after its due time
   *     (the client's own lag; latency is counted from the due time regardless)
   */
  record Outcome(FleetRecorder recorder, Duration measured, long fullHandshakes,
      long resumedHandshakes, long connectedAtStart, long connectedAtEnd, double clientCpuSeconds, double machineBusy,
      long stillInFlight, long maxDispatchLagMicros) {}

  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private FleetRun() {}

  static Outcome run(FleetPlan plan, Arrivals arrivals, FleetDriver driver, FleetClient client, CsrPool bodies,
      Duration warmup, Duration duration, Duration timeout, PrintStream out)
      throws InterruptedException {
    List<FleetAgent> agents = driver.agents();
    if (agents.size() != plan.agents()) {
      throw new IllegalArgumentException("plan for " + plan.agents() + " agents, driver has "
          + agents.size());
    }
    long start = System.nanoTime();
    long measureStart = start + warmup.toNanos();
    long measureEnd = measureStart + duration.toNanos();
    FleetRecorder recorder = new FleetRecorder(measureStart, measureEnd);
    driver.recordTo(recorder);
    long total = arrivals.arrivalsDueBy(warmup.plus(duration).toNanos() - 1);

    long n = 0;
    long maxLag = 0;
    boolean measuring = warmup.isZero();
    long nextProgress = measureStart + PROGRESS_EVERY_NANOS;
    CpuSample cpuStart = measuring ? CpuSample.now() : null;
    long connectedAtStart = client.openConnections();
    long fullAtStart = client.fullHandshakes();
    long resumedAtStart = client.resumedHandshakes();
    long signedAtTick = 0;
    long errorsAtTick = 0;
    long fullAtTick = fullAtStart;
    long resumedAtTick = resumedAtStart;

    while (n < total) {
      long now = System.nanoTime();
      long due = Math.min(total, arrivals.arrivalsDueBy(now - start));
      for (; n < due; n++) {
        long scheduled = start + arrivals.arrivalNanos(n);
        int agent = plan.agentOf(n);
        String id = plan.workloadId(agent, plan.workloadOf(n));
        driver.sign(agents.get(agent), id, SignBodies.body(bodies.next(), id), scheduled);
        maxLag = Math.max(maxLag, (System.nanoTime() - scheduled) / 1_000);
      }
      if (!measuring && now - measureStart >= 0) {
        measuring = true;
        cpuStart = CpuSample.now();
        connectedAtStart = client.openConnections();
        fullAtStart = client.fullHandshakes();
        resumedAtStart = client.resumedHandshakes();
        fullAtTick = fullAtStart;
        resumedAtTick = resumedAtStart;
        out.printf(Locale.ROOT, "warmup done: %d renewed, %d errors%n", recorder.signed(),
            recorder.errors().count());
      }
      if (measuring && now - nextProgress >= 0 && nextProgress - measureEnd < 0) {
        long signed = recorder.signedInWindow();
        long errors = recorder.errors().count();
        long full = client.fullHandshakes();
        long resumed = client.resumedHandshakes();
        double secs = PROGRESS_EVERY_NANOS / 1e9;
        out.printf(Locale.ROOT, "  %5.0f s  %8.1f renewals/s  %d errors  handshakes %.1f/s full"
                + " %.1f/s resumed  %d connections%n",
            (nextProgress - measureStart) / 1e9, (signed - signedAtTick) / secs,
            errors - errorsAtTick, (full - fullAtTick) / secs, (resumed - resumedAtTick) / secs,
            client.openConnections());
        signedAtTick = signed;
        errorsAtTick = errors;
        fullAtTick = full;
        resumedAtTick = resumed;
        nextProgress += PROGRESS_EVERY_NANOS;
      }
      if (n < total) {
        long wake = start + arrivals.arrivalNanos(n);
        long wait = Math.min(wake - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100));
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }
    sleepUntil(measureEnd);
    if (cpuStart == null) {
      cpuStart = CpuSample.now();
    }
    CpuSample cpuEnd = CpuSample.now();
    long full = client.fullHandshakes() - fullAtStart;
    long resumed = client.resumedHandshakes() - resumedAtStart;
    long connected = client.openConnections();

    long drainUntil = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(5);
    while (driver.inFlight() > 0 && System.nanoTime() - drainUntil < 0) {
      Thread.sleep(20);
    }
    return new Outcome(recorder, duration, full, resumed, connectedAtStart, connected,
        cpuEnd.processSecondsSince(cpuStart), cpuEnd.machineBusySince(cpuStart),
        driver.inFlight(), maxLag);
  }

  private static void sleepUntil(long deadlineNanos) throws InterruptedException {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }
}
