package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rotor.pki.CryptoProviders;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CryptoCeilingTest {

  @ParameterizedTest(name = "ceiling({0}, {1}) = {2}")
  @CsvSource({
    "1000, 1000, 500",
    "3000, 1500, 1000",
    "50000, 15000, 11538.46",
    "112747, 32383, 25157.35",
    "0, 1000, 0",
    "1000, 0, 0",
  })
  void ceilingIsTheHarmonicCombination(double signs, double verifies, double expected) {
    assertThat(CryptoCeiling.ceiling(signs, verifies)).isCloseTo(expected, within(0.1));
  }

  @Test
  void throughputCarriesItsCeiling() {
    assertThat(new CryptoCeiling.Throughput(3000, 1500).ceiling()).isCloseTo(1000, within(1e-9));
  }

  @Test
  void measuresBothOperationsWithTheSigningProvider() throws InterruptedException {
    CryptoCeiling.Throughput t = CryptoCeiling.measure(CryptoProviders.signing(), 1,
        Duration.ofMillis(20), Duration.ofMillis(100));
    assertThat(t.signsPerSecond()).isPositive();
    assertThat(t.verifiesPerSecond()).isPositive();
  }
}
