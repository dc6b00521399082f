package dev.rotor.load;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What a fleet run produced, recorded from transport threads.
 *
 * <p>Two views of the measured window, because the load is open-loop: <em>throughput</em> counts
 * workload certificates received while the window was open (a server that falls behind delivers
 * fewer), and <em>latency</em> is taken from each renewal's scheduled time to its answer for every
 * renewal scheduled in the window, however late it finished (a server that falls behind shows its
 * queue here instead of hiding it). Errors count over the whole run.
 */
final class FleetRecorder {

  private final long measureStart;
  private final long measureEnd;
  private final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3);
  private final ConcurrentHistogram agentRenewalMicros = new ConcurrentHistogram(3);
  private final LongAdder signed = new LongAdder();
  private final LongAdder signedInWindow = new LongAdder();
  private final LongAdder scheduledInWindow = new LongAdder();
  private final LongAdder errorsInWindow = new LongAdder();
  private final LongAdder agentRenewals = new LongAdder();
  private final ErrorTally errors = new ErrorTally();
  /** Per 100 ms of scheduled time in the window: renewals over {@link #SLOW_MICROS}, and the slowest. */
  private final AtomicLongArray slowPerBucket;
  private final AtomicLongArray maxPerBucket;

  /** A renewal slower than this (the p99 bound) is "slow" in {@link #slowStretches}. */
  static final long SLOW_MICROS = 200_000;
  private static final long BUCKET_NANOS = 100_000_000L;

  /**
   * A stretch of the window in which renewals scheduled in consecutive 100 ms buckets took longer
   * than 200 ms: the queue a stall left behind, and how long it took to drain.
   *
   * @param fromSeconds start, seconds into the window
   * @param toSeconds end (exclusive), seconds into the window
   * @param slow renewals over 200 ms scheduled in it
   * @param maxMillis the slowest of them
   */
  record SlowStretch(double fromSeconds, double toSeconds, long slow, long maxMillis) {}

  FleetRecorder(long measureStartNanos, long measureEndNanos) {
    this.measureStart = measureStartNanos;
    this.measureEnd = measureEndNanos;
    int buckets = (int) Math.max(1, Math.min(100_000, (measureEndNanos - measureStartNanos + BUCKET_NANOS - 1) / BUCKET_NANOS));
    this.slowPerBucket = new AtomicLongArray(buckets);
    this.maxPerBucket = new AtomicLongArray(buckets);
  }

  private boolean inWindow(long nanos) {
    return nanos - measureStart >= 0 && nanos - measureEnd < 0;
  }

  /**
   * One workload renewal: scheduled at {@code scheduledNanos}, answered at {@code endNanos}.
   * A 201 counts only if it is for {@code expectedId}.
   */
  void sign(long scheduledNanos, long endNanos, int status, byte[] body, Throwable failure,
      String expectedId) {
    boolean scheduled = inWindow(scheduledNanos);
    if (scheduled) {
      scheduledInWindow.increment();
      long micros = Math.max(0, (endNanos - scheduledNanos) / 1_000);
      latencyMicros.recordValue(micros);
      if (micros > SLOW_MICROS) {
        int bucket = (int) Math.min(slowPerBucket.length() - 1, (scheduledNanos - measureStart) / BUCKET_NANOS);
        slowPerBucket.incrementAndGet(bucket);
        maxPerBucket.accumulateAndGet(bucket, micros, Math::max);
      }
    }
    String error = classify("sign", status, body, failure);
    if (error == null) {
      String id = CertificateResponse.spiffeIdOf(body);
      if (expectedId.equals(id)) {
        signed.increment();
        if (inWindow(endNanos)) {
          signedInWindow.increment();
        }
        return;
      }
      error = "sign 201 for " + (id == null ? "no identity" : "another identity");
    }
    errors.add(error, failure != null ? String.valueOf(failure.getMessage())
        : new String(body, StandardCharsets.UTF_8));
    if (scheduled || inWindow(endNanos)) {
      errorsInWindow.increment();
    }
  }

  /** One renewal of an agent's own certificate that succeeded. */
  void agentRenewed(long startNanos, long endNanos) {
    agentRenewals.increment();
    agentRenewalMicros.recordValue(Math.max(0, (endNanos - startNanos) / 1_000));
  }

  /** A failure outside the workload path (agent renewal, reconnect): {@code what} names it. */
  void failure(String what, int status, byte[] body, Throwable failure) {
    String kind = classify(what, status, body, failure);
    if (kind == null) {
      kind = what + " unexpected " + status;
    }
    errors.add(kind, failure != null ? String.valueOf(failure.getMessage())
        : new String(body, StandardCharsets.UTF_8));
  }

  /** {@code <what> http 403}, {@code <what> transport TimeoutException}, or null for a 201. */
  static String classify(String what, int status, byte[] body, Throwable failure) {
    if (failure != null) {
      return what + " transport " + failure.getClass().getSimpleName()
          + (status != 0 ? " after " + status : "");
    }
    return status == 201 ? null : what + " http " + status;
  }

  /**
   * The stretches of the window with renewals over 200 ms, longest first: a p99 over the bound
   * comes from a few such stretches (a pause, then the queue draining) or from slowness spread
   * over the whole window, and this tells which.
   */
  List<SlowStretch> slowStretches() {
    List<SlowStretch> out = new ArrayList<>();
    int start = -1;
    long slow = 0;
    long max = 0;
    for (int i = 0; i <= slowPerBucket.length(); i++) {
      long n = i < slowPerBucket.length() ? slowPerBucket.get(i) : 0;
      if (n > 0) {
        if (start < 0) {
          start = i;
          slow = 0;
          max = 0;
        }
        slow += n;
        max = Math.max(max, maxPerBucket.get(i));
      } else if (start >= 0) {
        out.add(new SlowStretch(start / 10.0, i / 10.0, slow, max / 1_000));
        start = -1;
      }
    }
    out.sort(Comparator.comparingDouble((SlowStretch st) -> st.toSeconds() - st.fromSeconds()).reversed());
    return out;
  }

  long signed() {
    return signed.sum();
  }

  long signedInWindow() {
    return signedInWindow.sum();
  }

  long scheduledInWindow() {
    return scheduledInWindow.sum();
  }

  long errorsInWindow() {
    return errorsInWindow.sum();
  }

  long agentRenewals() {
    return agentRenewals.sum();
  }

  ErrorTally errors() {
    return errors;
  }

  Histogram latencyMicros() {
    return latencyMicros.copy();
  }

  Histogram agentRenewalMicros() {
    return agentRenewalMicros.copy();
  }
}
