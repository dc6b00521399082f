package dev.rotor.agent.api;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The CA's trust anchors as the server published them: the PEM text (what goes into {@code ca.crt}
 * and {@code bundle.pem}) and the parsed certificates. Two bundles are the same when their
 * certificates are, whatever the PEM's whitespace.
 */
public record TrustBundle(String pem, List<X509Certificate> anchors) {

  public TrustBundle {
    anchors = List.copyOf(anchors);
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("a trust bundle needs at least one certificate");
    }
  }

  /** Parses PEM text holding one or more certificates. */
  public static TrustBundle parse(String pem) throws PkiException {
    return new TrustBundle(pem, Pem.parseCertificates(pem));
  }

  /** The certificates re-encoded as canonical PEM. */
  public String canonicalPem() {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : anchors) {
      try {
        sb.append(Pem.certificate(c.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    return sb.toString();
  }

  /** Whether both hold the same certificates in the same order. */
  public boolean sameAs(TrustBundle other) {
    return other != null && canonicalPem().equals(other.canonicalPem());
  }
}
