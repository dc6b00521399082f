package dev.rotor.load;

import java.nio.charset.StandardCharsets;
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

  FleetRecorder(long measureStartNanos, long measureEndNanos) {
    this.measureStart = measureStartNanos;
    this.measureEnd = measureEndNanos;
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
      latencyMicros.recordValue(Math.max(0, (endNanos - scheduledNanos) / 1_000));
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
