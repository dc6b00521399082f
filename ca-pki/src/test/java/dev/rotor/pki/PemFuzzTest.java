package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Fuzzes {@link Pem} decoding and certificate parsing (the path client-supplied chains and
 * certificates take): a list of certificates or {@link PkiException}, nothing else, within
 * {@link CsrFuzzTest#PER_INPUT}.
 */
class PemFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void certificates(byte[] input) {
    long start = System.nanoTime();
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
    CsrFuzzTest.assertBounded(start);
  }
}
