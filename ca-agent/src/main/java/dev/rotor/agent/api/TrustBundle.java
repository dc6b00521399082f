package dev.rotor.agent.api;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The CA's trust bundle as the server published it: the PEM text (what goes into {@code ca.crt}
 * and {@code bundle.pem}) and the parsed certificates — the roots, and (from a server that rotates
 * its CA) the issuing intermediates currently trusted. Two bundles are the same when their
 * certificates are, whatever the PEM's whitespace.
 *
 * <p>The rule a peer's chain must pass ({@link #check}): when the bundle lists intermediates, the
 * leaf's issuing CA must be one of them (so an intermediate removed from the bundle is refused even
 * though its root still signs it), and the path from the leaf through that intermediate (and any
 * cross-certificate the peer sent) must validate by PKIX to one of the bundle's roots, name
 * constraints included. A bundle of roots alone constrains only the path.
 *
 * <p>{@code tainted} holds the key identifiers of intermediates the server declared compromised
 * (from the revocation feed): still trusted, but every certificate they signed must be replaced now.
 */
public record TrustBundle(String pem, List<X509Certificate> anchors, java.util.Set<String> tainted) {

  public TrustBundle {
    anchors = List.copyOf(anchors);
    tainted = java.util.Set.copyOf(tainted);
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("a trust bundle needs at least one certificate");
    }
  }

  public TrustBundle(String pem, List<X509Certificate> anchors) {
    this(pem, anchors, java.util.Set.of());
  }

  /** Parses PEM text holding one or more certificates. */
  public static TrustBundle parse(String pem) throws PkiException {
    return new TrustBundle(pem, Pem.parseCertificates(pem));
  }

  /** The same bundle with {@code keyIds} (lower-case hex key identifiers) marked tainted. */
  public TrustBundle withTainted(java.util.Set<String> keyIds) {
    return new TrustBundle(pem, anchors, keyIds);
  }

  /** Whether {@code leaf} was signed by an intermediate declared compromised (by its authority key identifier). */
  public boolean isTaintedIssuer(X509Certificate leaf) {
    if (tainted.isEmpty()) {
      return false;
    }
    String aki = authorityKeyId(leaf);
    return aki != null && tainted.contains(aki);
  }

  /** Lower-case hex of a certificate's authority key identifier, or null without one. */
  public static String authorityKeyId(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue("2.5.29.35");
    if (ext == null) {
      return null;
    }
    byte[] id = org.bouncycastle.asn1.x509.AuthorityKeyIdentifier.getInstance(
        org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    return id == null ? null : java.util.HexFormat.of().formatHex(id);
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
   * Whether {@code chain} (leaf first) passes {@link #check} at {@code now}.
   */
  public boolean validates(List<X509Certificate> chain, java.time.Instant now) {
    try {
      check(chain, anchors, now);
      return true;
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Checks {@code chain} (leaf first) against {@code bundle} by the rule above: PKIX to a root of
   * the bundle (signatures, validity, CA constraints, name constraints; no revocation), through an
   * issuing CA the bundle lists when it lists any.
   *
   * @throws java.security.cert.CertPathValidatorException with the PKIX reason, or with a
   *     message naming the unlisted issuer
   */
  public static void check(List<X509Certificate> chain, List<X509Certificate> bundle, java.time.Instant now)
      throws java.security.GeneralSecurityException {
    if (chain.isEmpty()) {
      throw new java.security.cert.CertPathValidatorException("no certificate");
    }
    List<X509Certificate> roots = new java.util.ArrayList<>();
    List<X509Certificate> intermediates = new java.util.ArrayList<>();
    for (X509Certificate c : bundle) {
      (c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) ? roots : intermediates).add(c);
    }
    X509Certificate leaf = chain.get(0);
    List<List<X509Certificate>> candidates = new java.util.ArrayList<>();
    if (intermediates.isEmpty()) {
      // Roots only: the presented chain, minus a trailing certificate that is itself an anchor.
      List<X509Certificate> path = new java.util.ArrayList<>();
      for (X509Certificate c : chain) {
        if (bundle.contains(c)) {
          break;
        }
        path.add(c);
      }
      candidates.add(path);
    } else {
      X509Certificate issuer = null;
      for (X509Certificate i : intermediates) {
        if (i.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
          try {
            leaf.verify(i.getPublicKey());
            issuer = i;
            break;
          } catch (java.security.GeneralSecurityException e) {
            // same name, another key: keep looking
          }
        }
      }
      if (issuer == null) {
        throw new java.security.cert.CertPathValidatorException("the issuing CA " + leaf.getIssuerX500Principal().getName()
            + " is not in the trust bundle");
      }
      List<X509Certificate> path = new java.util.ArrayList<>(List.of(leaf, issuer));
      candidates.add(List.copyOf(path));
      // Cross-certificates the peer sent after its issuing CA (a new root certified by an older one).
      for (int i = 2; i < chain.size(); i++) {
        X509Certificate c = chain.get(i);
        if (roots.contains(c)) {
          break;
        }
        path.add(c);
        candidates.add(List.copyOf(path));
      }
    }
    java.util.Set<java.security.cert.TrustAnchor> set = new java.util.HashSet<>();
    for (X509Certificate a : intermediates.isEmpty() ? bundle : roots) {
      set.add(new java.security.cert.TrustAnchor(a, null));
    }
    java.security.GeneralSecurityException last = null;
    for (List<X509Certificate> path : candidates) {
      if (path.isEmpty()) {
        throw new java.security.cert.CertPathValidatorException("the chain holds only trust anchors");
      }
      try {
        java.security.cert.PKIXParameters params = new java.security.cert.PKIXParameters(set);
        params.setRevocationEnabled(false);
        params.setDate(java.util.Date.from(now));
        java.security.cert.CertPathValidator.getInstance("PKIX")
            .validate(java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        return;
      } catch (java.security.GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  /** Whether both hold the same certificates in the same order. */
  public boolean sameAs(TrustBundle other) {
    return other != null && canonicalPem().equals(other.canonicalPem());
  }
}
