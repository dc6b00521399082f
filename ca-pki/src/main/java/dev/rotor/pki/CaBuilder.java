package dev.rotor.pki;

import dev.rotor.pki.PkiException.Problem;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/**
 * Builds CA certificates: a self-signed root and name-constrained intermediates.
 *
 * <p>Each certificate is verified against the signing public key before it is returned, so a
 * parent private key that does not match the parent certificate fails here instead of producing a
 * chain that no client accepts.
 */
public final class CaBuilder {

  private final Provider provider;

  /** @param provider signs the certificates */
  public CaBuilder(Provider provider) {
    this.provider = Objects.requireNonNull(provider, "provider");
  }

  /**
   * A self-signed root: basicConstraints critical cA=true pathLenConstraint=1, keyUsage critical
   * keyCertSign and cRLSign, subjectKeyIdentifier, a random 128-bit serial.
   *
   * <p>pathLenConstraint 1 allows exactly Rotor's hierarchy (root, intermediate, leaf): should an
   * intermediate ever be issued without its own pathLenConstraint 0, verifiers still refuse any CA
   * below it.
   *
   * @throws PkiException {@code BAD_TTL} if notAfter is not after notBefore
   * @throws IllegalArgumentException if {@code keys} is not of {@code alg}
   */
  public X509Certificate root(KeyPair keys, KeyAlgorithm alg, X500Name subject, Instant notBefore, Instant notAfter)
      throws PkiException {
    checkKeys(keys, alg);
    Instant nb = notBefore.truncatedTo(ChronoUnit.SECONDS);
    Instant na = notAfter.truncatedTo(ChronoUnit.SECONDS);
    checkValidity(nb, na);
    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
        subject, Serials.random(), new Time(Date.from(nb)), new Time(Date.from(na)), subject, spki);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(JcaSigner.keyIdentifier(spki)));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode CA extensions", e);
    }
    return sign(builder, alg, keys.getPrivate(), keys.getPublic());
  }

  /**
   * An intermediate signed by {@code parent}: basicConstraints critical cA=true
   * pathLenConstraint=0; keyUsage critical keyCertSign, cRLSign and digitalSignature (so it signs
   * OCSP responses itself, RFC 6960 §4.2.2.2); subjectKeyIdentifier; authorityKeyIdentifier = the
   * parent's; and, when {@code constraints} is not null, critical name constraints.
   *
   * <p>The name constraints permit URIs whose host is the trust domain (RFC 5280 §4.2.1.10: a URI
   * constraint "MUST be specified as a fully qualified domain name" and applies to the host part, so
   * {@code spiffe://td/...} matches {@code td}) and DNS names under each suffix. No iPAddress subtree
   * is present, so IP addresses are not constrained. RFC 5280 §4.2.1.10: "Conforming CAs MUST mark
   * this extension as critical".
   *
   * <p>notAfter is capped at the parent's notAfter: a CA certificate outliving its issuer would only
   * produce chains that stop validating at the parent's expiry.
   *
   * @throws PkiException {@code BAD_TTL} if the (capped) validity is empty
   */
  public X509Certificate intermediate(
      KeyPair keys,
      KeyAlgorithm alg,
      X500Name subject,
      SigningCa parent,
      Instant notBefore,
      Instant notAfter,
      NameConstraintsSpec constraints)
      throws PkiException {
    checkKeys(keys, alg);
    Instant parentNotAfter = parent.certificate().getNotAfter().toInstant();
    Instant nb = notBefore.truncatedTo(ChronoUnit.SECONDS);
    Instant na = notAfter.truncatedTo(ChronoUnit.SECONDS);
    if (na.isAfter(parentNotAfter)) {
      na = parentNotAfter;
    }
    checkValidity(nb, na);
    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    // The issuer is the parent's subject byte for byte (RFC 5280 §7.1 chains by name comparison).
    X500Name issuer = X500Name.getInstance(parent.certificate().getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
        issuer, Serials.random(), new Time(Date.from(nb)), new Time(Date.from(na)), subject, spki);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      builder.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(JcaSigner.keyIdentifier(spki)));
      builder.addExtension(
          Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(parent.subjectKeyIdentifier()));
      if (constraints != null) {
        builder.addExtension(Extension.nameConstraints, true, nameConstraints(constraints));
      }
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode CA extensions", e);
    }
    return sign(builder, parent.algorithm(), parent.privateKey(), parent.certificate().getPublicKey());
  }

  /**
   * A cross-certificate for a root rollover: {@code newRoot}'s subject and key, issued by {@code
   * oldRoot}, so a client that trusts only the old root builds leaf → intermediate → this → old
   * root. basicConstraints critical cA=true pathLenConstraint=1 (the new root's own), keyUsage
   * keyCertSign and cRLSign, subjectKeyIdentifier = the new root's, authorityKeyIdentifier = the old
   * root's. notAfter is capped at both roots' notAfter.
   *
   * @throws PkiException {@code BAD_TTL} if the (capped) validity is empty
   */
  public X509Certificate crossCertificate(X509Certificate newRoot, SigningCa oldRoot, Instant notBefore, Instant notAfter)
      throws PkiException {
    Instant nb = notBefore.truncatedTo(ChronoUnit.SECONDS);
    Instant na = notAfter.truncatedTo(ChronoUnit.SECONDS);
    for (Instant cap : List.of(newRoot.getNotAfter().toInstant(), oldRoot.certificate().getNotAfter().toInstant())) {
      if (na.isAfter(cap)) {
        na = cap;
      }
    }
    checkValidity(nb, na);
    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(newRoot.getPublicKey().getEncoded());
    X500Name issuer = X500Name.getInstance(oldRoot.certificate().getSubjectX500Principal().getEncoded());
    X500Name subject = X500Name.getInstance(newRoot.getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
        issuer, Serials.random(), new Time(Date.from(nb)), new Time(Date.from(na)), subject, spki);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(JcaSigner.keyIdentifier(spki)));
      builder.addExtension(
          Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(oldRoot.subjectKeyIdentifier()));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode CA extensions", e);
    }
    return sign(builder, oldRoot.algorithm(), oldRoot.privateKey(), oldRoot.certificate().getPublicKey());
  }

  private static NameConstraints nameConstraints(NameConstraintsSpec spec) {
    List<GeneralSubtree> permitted = new ArrayList<>();
    permitted.add(new GeneralSubtree(new GeneralName(GeneralName.uniformResourceIdentifier, spec.trustDomain())));
    for (String suffix : spec.permittedDnsSuffixes()) {
      permitted.add(new GeneralSubtree(new GeneralName(GeneralName.dNSName, suffix)));
    }
    return new NameConstraints(permitted.toArray(new GeneralSubtree[0]), null);
  }

  private X509Certificate sign(X509v3CertificateBuilder builder, KeyAlgorithm alg, PrivateKey key, PublicKey verifyWith)
      throws PkiException {
    byte[] der;
    try {
      der = builder.build(new JcaSigner(alg.signatureAlgorithm(), key, provider).newSigner()).getEncoded();
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      throw new IllegalStateException("cannot sign the CA certificate", e);
    }
    X509Certificate cert = Pem.parseCertificate(der);
    try {
      Signature check = Signature.getInstance(alg.signatureAlgorithm(), provider);
      check.initVerify(verifyWith);
      check.update(cert.getTBSCertificate());
      if (!check.verify(cert.getSignature())) {
        throw new IllegalArgumentException("the signing private key does not match the issuer certificate");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot verify the new CA certificate", e);
    }
    return cert;
  }

  private static void checkKeys(KeyPair keys, KeyAlgorithm alg) {
    Objects.requireNonNull(keys, "keys");
    if (KeyAlgorithm.of(keys.getPublic()) != alg) {
      throw new IllegalArgumentException("the key pair is not " + alg);
    }
  }

  private static void checkValidity(Instant notBefore, Instant notAfter) throws PkiException {
    if (!notAfter.isAfter(notBefore)) {
      throw new PkiException(
          Problem.BAD_TTL, "the validity period is empty: notAfter " + notAfter + " is not after notBefore " + notBefore);
    }
  }
}
