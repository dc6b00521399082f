package dev.rotor.pki;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;

/**
 * A CA that signs: its certificate, its private key and the algorithm it signs with.
 *
 * <p>{@link #toString()} leaves the private key out, so the record can appear in logs.
 *
 * @param certificate the CA certificate (basicConstraints cA=true)
 * @param privateKey the matching private key (possibly a handle into an HSM)
 * @param algorithm the algorithm of the certificate's key
 */
public record SigningCa(X509Certificate certificate, PrivateKey privateKey, KeyAlgorithm algorithm) {

  /** Checks that the certificate is a CA certificate whose key is of {@code algorithm}. */
  public SigningCa {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(algorithm, "algorithm");
    if (certificate.getBasicConstraints() < 0) {
      throw new IllegalArgumentException("not a CA certificate: " + certificate.getSubjectX500Principal());
    }
    KeyAlgorithm actual = KeyAlgorithm.of(certificate.getPublicKey());
    if (actual != algorithm) {
      throw new IllegalArgumentException("the CA certificate's key is " + actual + ", not " + algorithm);
    }
  }

  /**
   * The key identifier from the certificate's subjectKeyIdentifier extension, or, for a CA
   * certificate without one, the RFC 5280 §4.2.1.2 method (1) identifier of its key.
   */
  public byte[] subjectKeyIdentifier() {
    byte[] ext = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ext != null) {
      return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }
    return JcaSigner.keyIdentifier(certificate.getPublicKey());
  }

  @Override
  public String toString() {
    return "SigningCa[subject=" + certificate.getSubjectX500Principal().getName()
        + ", serial=" + certificate.getSerialNumber().toString(16) + ", algorithm=" + algorithm + "]";
  }
}
