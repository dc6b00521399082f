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

  /**
   * Whether {@code chain} (leaf first) validates to one of these anchors at {@code now}: PKIX
   * path validation, signatures, validity periods and CA constraints (name constraints included),
   * without revocation checking.
   */
  public boolean validates(List<X509Certificate> chain, java.time.Instant now) {
    try {
      java.util.Set<java.security.cert.TrustAnchor> set = new java.util.HashSet<>();
      for (X509Certificate a : anchors) {
        set.add(new java.security.cert.TrustAnchor(a, null));
      }
      // The path excludes its anchor: stop at the first certificate that is itself in the bundle.
      List<X509Certificate> path = new java.util.ArrayList<>();
      for (X509Certificate c : chain) {
        if (anchors.contains(c)) {
          break;
        }
        path.add(c);
      }
      if (path.isEmpty()) {
        return false;
      }
      java.security.cert.PKIXParameters params = new java.security.cert.PKIXParameters(set);
      params.setRevocationEnabled(false);
      params.setDate(java.util.Date.from(now));
      java.security.cert.CertPathValidator.getInstance("PKIX")
          .validate(java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return true;
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Whether both hold the same certificates in the same order. */
  public boolean sameAs(TrustBundle other) {
    return other != null && canonicalPem().equals(other.canonicalPem());
  }
}
