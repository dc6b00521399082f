package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Fuzzes {@link CsrChecker}: whatever the bytes, it returns a {@link CheckedCsr} or throws
 * {@link PkiException}, within {@link #PER_INPUT} per input. Any other throwable (an
 * ArrayIndexOutOfBounds from a parser, a ClassCast, a StackOverflowError, an OOM) is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ} these run as regression tests over the seed corpus in
 * {@code src/test/resources/dev/rotor/pki/CsrFuzzTestInputs/<method>/}; with it, Jazzer mutates
 * from that corpus (see load-tests/README.md, "Fuzzing").
 */
class CsrFuzzTest {

  /**
   * Generous on purpose: a valid RSA-8192 CSR verifies in well under 100 ms even under Jazzer's
   * coverage instrumentation on a busy machine; a parser going quadratic on 64 KiB does not.
   */
  static final Duration PER_INPUT = Duration.ofSeconds(5);

  private static final CsrChecker CHECKER = new CsrChecker(CryptoProviders.signing());

  @FuzzTest(maxDuration = "30s")
  void der(byte[] input) {
    long start = System.nanoTime();
    try {
      CheckedCsr csr = CHECKER.check(input);
      // Accepting is fine; accepting something other than the bytes given is not.
      assertThat(csr.der()).isEqualTo(input);
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
    assertBounded(start);
  }

  @FuzzTest(maxDuration = "30s")
  void pem(byte[] input) {
    long start = System.nanoTime();
    try {
      CHECKER.check(new String(input, StandardCharsets.UTF_8));
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
    assertBounded(start);
  }

  static void assertBounded(long startNanos) {
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    assertThat(took).as("time for one input").isLessThan(PER_INPUT);
  }
}
