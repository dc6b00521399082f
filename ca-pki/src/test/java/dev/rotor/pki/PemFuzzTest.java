package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@link Pem} decoding and certificate parsing (the path client-supplied chains and
 * certificates take): a list of certificates or {@link PkiException}, nothing else, within
 * {@link FuzzSeeds#PER_INPUT} of CPU time.
 */
class PemFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void certificates(byte[] input) {
    FuzzSeeds.warmUp(PemFuzzTest.class, "certificates", seed -> Pem.parseCertificates(new String(seed, StandardCharsets.UTF_8)));
    long start = FuzzSeeds.cpuNanos();
    String pem = new String(input, StandardCharsets.UTF_8);
    try {
      List<X509Certificate> certs = Pem.parseCertificates(pem);
      assertThat(certs).isNotEmpty();
      // Round trip: what was accepted encodes back to PEM that decodes to the same DER.
      for (X509Certificate cert : certs) {
        byte[] der = cert.getEncoded();
        assertThat(Pem.decodeOne(Pem.certificate(der), "CERTIFICATE")).isEqualTo(der);
      }
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new AssertionError("a parsed certificate does not encode", e);
    }
    FuzzSeeds.assertBounded(start);
  }

  static Stream<Arguments> seeds() {
    return FuzzSeeds.of(PemFuzzTest.class, "certificates");
  }

  /** ok-* seeds hold as many certificates as their name says (one or two), fail-* are refused. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void seedVerdict(String name, byte[] seed) throws PkiException {
    String pem = new String(seed, StandardCharsets.UTF_8);
    if (name.startsWith("ok-")) {
      assertThat(Pem.parseCertificates(pem)).hasSize(name.contains("two") ? 2 : 1);
    } else {
      assertThatThrownBy(() -> Pem.parseCertificates(pem)).isInstanceOf(PkiException.class);
    }
  }
}
