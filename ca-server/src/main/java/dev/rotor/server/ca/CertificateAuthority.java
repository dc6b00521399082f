package dev.rotor.server.ca;

import dev.rotor.pki.Pem;
import dev.rotor.pki.SigningCa;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The CA hierarchy in force: the issuing CA that signs leaves, the chain handed out with each
 * leaf, and the trust bundle clients anchor on.
 *
 * @param issuerId the issuing CA's row in {@code certificate_authorities}
 * @param issuing the issuing CA's certificate and key
 * @param chainAbove the certificates above the leaf that a client needs, issuing CA first (the
 *     root is not included; clients have it in the bundle)
 * @param bundle trust anchors (roots), PEM
 */
public record CertificateAuthority(int issuerId, SigningCa issuing, List<X509Certificate> chainAbove, List<X509Certificate> bundle) {

  public X509Certificate issuingCertificate() {
    return issuing.certificate();
  }

  public Instant notAfter() {
    return issuing.certificate().getNotAfter().toInstant();
  }

  /** PEM of the certificates above a leaf (issuing CA first), appended to each leaf. */
  public String chainAbovePem() {
    return pem(chainAbove);
  }

  /** PEM of the trust bundle. */
  public String bundlePem() {
    return pem(bundle);
  }

  private static String pem(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      try {
        sb.append(Pem.certificate(c.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    return sb.toString();
  }
}
