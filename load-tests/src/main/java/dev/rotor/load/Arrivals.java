package dev.rotor.load;

/**
 * When the open loop's arrivals are due: the rate climbs linearly from zero to {@code rate} over
 * the first {@code rampNanos} (a fleet coming up, or being pointed at a freshly started server),
 * then stays at {@code rate}. Arrivals due by {@code t}: {@code rate·t²/(2·ramp)} during the ramp,
 * {@code rate·(t − ramp/2)} after it; with no ramp, {@code rate·t} from the start.
 *
 * @param ratePerSecond the steady rate
 * @param rampNanos how long the climb lasts (0: full rate from the first instant)
 */
record Arrivals(double ratePerSecond, long rampNanos) {

  Arrivals {
    if (!(ratePerSecond > 0) || rampNanos < 0) {
      throw new IllegalArgumentException("need a positive rate and a ramp >= 0");
    }
  }

  /** Arrivals per nanosecond at full rate. */
  private double perNano() {
    return ratePerSecond / 1e9;
  }

  /** Arrivals (a real number) due by {@code nanos} after the start. */
  private double dueBy(double nanos) {
    if (nanos <= 0) {
      return 0;
    }
    if (nanos < rampNanos) {
      return perNano() * nanos * nanos / (2.0 * rampNanos);
    }
    return perNano() * (nanos - rampNanos / 2.0);
  }

  /** When arrival {@code n} (from 0) is due, in nanoseconds after the start. */
  long arrivalNanos(long n) {
    double rampArrivals = perNano() * rampNanos / 2.0;
    if (n < rampArrivals) {
      return (long) Math.floor(Math.sqrt(2.0 * rampNanos * n / perNano()));
    }
    return (long) Math.floor(rampNanos / 2.0 + n * 1e9 / ratePerSecond);
  }

  /** How many arrivals are due at or before {@code nanos} after the start. */
  long arrivalsDueBy(long nanos) {
    if (nanos < 0) {
      return 0;
    }
    long n = (long) Math.floor(dueBy(nanos)) + 1;
    // Floating point may be one off either way at the boundary; settle it with arrivalNanos.
    while (n > 0 && arrivalNanos(n - 1) > nanos) {
      n--;
    }
    while (arrivalNanos(n) <= nanos) {
      n++;
    }
    return n;
  }
}
