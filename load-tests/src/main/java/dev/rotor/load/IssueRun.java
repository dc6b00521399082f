package dev.rotor.load;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The closed loop: {@code concurrency} workers, each sending its next request when the previous
 * one completes, until the measured window ends; then the requests still out are waited for.
 */
final class IssueRun {

  /** What the loop measured. */
  record Outcome(IssueRecorder recorder, Duration measured, double clientCpuSeconds,
      double machineBusy, long stillInFlight) {}

  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private IssueRun() {}

  static Outcome run(LoadTransport transport, CsrPool pool, int concurrency, Duration warmup,
      Duration duration, Duration timeout, PrintStream out) throws InterruptedException {
    long start = System.nanoTime();
    long measureStart = start + warmup.toNanos();
    long measureEnd = measureStart + duration.toNanos();
    IssueRecorder recorder = new IssueRecorder(measureStart, measureEnd);
    CountDownLatch finished = new CountDownLatch(concurrency);

    for (int i = 0; i < concurrency; i++) {
      new Worker(transport, pool, recorder, measureEnd, finished).next();
    }

    sleepUntil(measureStart);
    if (!warmup.isZero()) {
      long errors = recorder.errorCount();
      long issued = recorder.issued();
      out.printf(Locale.ROOT, "warmup done: %d certificates, %d errors%n", issued, errors);
    }
    CpuSample cpuStart = CpuSample.now();
    long lastIssued = recorder.measuredIssued();
    long lastErrors = recorder.measuredErrors();
    long tick = measureStart;
    while (tick + PROGRESS_EVERY_NANOS - measureEnd < 0) {
      tick += PROGRESS_EVERY_NANOS;
      sleepUntil(tick);
      long issued = recorder.measuredIssued();
      long errors = recorder.measuredErrors();
      out.printf(Locale.ROOT, "  %5.0f s  %9.1f certs/s  %d errors%n",
          (tick - measureStart) / 1e9, (issued - lastIssued) / (PROGRESS_EVERY_NANOS / 1e9),
          errors - lastErrors);
      lastIssued = issued;
      lastErrors = errors;
    }
    sleepUntil(measureEnd);
    CpuSample cpuEnd = CpuSample.now();

    // Requests still out finish (or time out) within the request timeout.
    finished.await(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    return new Outcome(recorder, duration, cpuEnd.processSecondsSince(cpuStart),
        cpuEnd.machineBusySince(cpuStart), finished.getCount());
  }

  private static void sleepUntil(long deadlineNanos) throws InterruptedException {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** One slot of the closed loop; it has at most one request outstanding. */
  private static final class Worker {
    private final LoadTransport transport;
    private final CsrPool pool;
    private final IssueRecorder recorder;
    private final long measureEnd;
    private final CountDownLatch finished;

    Worker(LoadTransport transport, CsrPool pool, IssueRecorder recorder, long measureEnd,
        CountDownLatch finished) {
      this.transport = transport;
      this.pool = pool;
      this.recorder = recorder;
      this.measureEnd = measureEnd;
      this.finished = finished;
    }

    void next() {
      long start = System.nanoTime();
      if (start - measureEnd >= 0) {
        finished.countDown();
        return;
      }
      try {
        transport.post(pool.next(), (status, body, failure) -> {
          recorder.record(start, System.nanoTime(), status, body, failure);
          if (failure == null) {
            next();
          } else {
            // A failure may be reported on the sending thread; going through the executor keeps
            // a run of immediate failures (server down) from growing the stack.
            transport.execute(this::next);
          }
        });
      } catch (RuntimeException e) {
        recorder.record(start, System.nanoTime(), 0, new byte[0], e);
        transport.execute(this::next);
      }
    }
  }
}
