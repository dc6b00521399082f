package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@link CsrChecker}: whatever the bytes, it returns a {@link CheckedCsr} or throws
 * {@link PkiException}, within {@link FuzzSeeds#PER_INPUT} of CPU time per input. Any other throwable (an
 * ArrayIndexOutOfBounds from a parser, a ClassCast, a StackOverflowError, an OOM) is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ} these run as regression tests over the seed corpus in
 * {@code src/test/resources/dev/rotor/pki/CsrFuzzTestInputs/<method>/}; with it, Jazzer mutates
 * from that corpus (see load-tests/README.md, "Fuzzing").
 */
class CsrFuzzTest {

  private static final CsrChecker CHECKER = new CsrChecker(CryptoProviders.signing());

  @FuzzTest(maxDuration = "30s")
  void der(byte[] input) {
    FuzzSeeds.warmUp(CsrFuzzTest.class, "der", CHECKER::check);
    long start = FuzzSeeds.cpuNanos();
    try {
      CheckedCsr csr = CHECKER.check(input);
      // Accepting is fine; accepting something other than the bytes given is not.
      assertThat(csr.der()).isEqualTo(input);
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
    FuzzSeeds.assertBounded(start);
  }

  @FuzzTest(maxDuration = "30s")
  void pem(byte[] input) {
    FuzzSeeds.warmUp(CsrFuzzTest.class, "pem", seed -> CHECKER.check(new String(seed, StandardCharsets.UTF_8)));
    long start = FuzzSeeds.cpuNanos();
    try {
      CHECKER.check(new String(input, StandardCharsets.UTF_8));
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
    FuzzSeeds.assertBounded(start);
  }

  static Stream<Arguments> derSeeds() {
    return FuzzSeeds.of(CsrFuzzTest.class, "der");
  }

  static Stream<Arguments> pemSeeds() {
    return FuzzSeeds.of(CsrFuzzTest.class, "pem");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("derSeeds")
  void derSeedVerdict(String name, byte[] seed) {
    if (name.startsWith("ok-")) {
      assertThatCode(() -> CHECKER.check(seed)).doesNotThrowAnyException();
    } else {
      assertThatThrownBy(() -> CHECKER.check(seed)).isInstanceOf(PkiException.class);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pemSeeds")
  void pemSeedVerdict(String name, byte[] seed) {
    String pem = new String(seed, StandardCharsets.UTF_8);
    if (name.startsWith("ok-")) {
      assertThatCode(() -> CHECKER.check(pem)).doesNotThrowAnyException();
    } else {
      assertThatThrownBy(() -> CHECKER.check(pem)).isInstanceOf(PkiException.class);
    }
  }
}
