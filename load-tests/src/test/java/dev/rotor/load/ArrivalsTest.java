package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ArrivalsTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void withoutARampArrivalsComeAtTheFullRateFromTheStart() {
    Arrivals a = new Arrivals(80, 0);
    assertThat(a.arrivalNanos(0)).isZero();
    assertThat(a.arrivalNanos(1)).isEqualTo(12_500_000);
    assertThat(a.arrivalsDueBy(SECOND - 1)).isEqualTo(80);
    assertThat(a.arrivalsDueBy(5 * SECOND - 1)).isEqualTo(400);
  }

  @Test
  void theRateClimbsLinearlyDuringTheRampThenStaysAtFullRate() {
    Arrivals a = new Arrivals(1000, 10 * SECOND);
    // Half the ramp: a quarter of the ramp's arrivals (rate * ramp / 2 = 5000 in all).
    assertThat(a.arrivalsDueBy(5 * SECOND - 1)).isBetween(1249L, 1251L);
    assertThat(a.arrivalsDueBy(10 * SECOND - 1)).isBetween(4999L, 5001L);
    // After the ramp: full rate, 1000 per second.
    long atTen = a.arrivalsDueBy(10 * SECOND - 1);
    assertThat(a.arrivalsDueBy(11 * SECOND - 1) - atTen).isEqualTo(1000);
    assertThat(a.arrivalsDueBy(70 * SECOND - 1) - atTen).isEqualTo(60_000);
    // The rate in the ramp's first second is far below the full rate.
    assertThat(a.arrivalsDueBy(SECOND - 1)).isLessThan(100);
  }

  @Test
  void arrivalsDueByIsTheInverseOfArrivalNanos() {
    for (Arrivals a : new Arrivals[] {new Arrivals(2222.2, 30 * SECOND), new Arrivals(7, 0), new Arrivals(50_000, SECOND)}) {
      long previous = -1;
      for (long n = 0; n < 200_000; n += 37) {
        long t = a.arrivalNanos(n);
        assertThat(t).isGreaterThanOrEqualTo(previous);
        previous = t;
        assertThat(a.arrivalsDueBy(t)).isGreaterThan(n);
        assertThat(a.arrivalsDueBy(t - 1)).isLessThanOrEqualTo(n);
      }
    }
  }

  @Test
  void refusesANonPositiveRateOrANegativeRamp() {
    assertThatThrownBy(() -> new Arrivals(0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Arrivals(10, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
