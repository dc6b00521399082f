package dev.rotor.pki;

import dev.rotor.pki.PkiException.Problem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;

/**
 * Signs end-entity certificates for one CA: the issuance hot path.
 *
 * <p>What depends only on the CA (issuer name, authorityKeyIdentifier, the fixed basicConstraints
 * and key usages, the provider's own copy of the private key) is prepared once in the constructor.
 * The cRLDistributionPoints and authorityInformationAccess extensions are built once per distinct
 * set of URLs and reused while they stay the same (in practice, always). Every call gets its own
 * {@code Signature}, so the signer is thread-safe without locks.
 *
 * <p>The profile (RFC 5280, CA/B Baseline Requirements style): v3; issuer = the CA's subject, byte
 * for byte; basicConstraints critical cA=false; keyUsage critical digitalSignature, plus
 * keyEncipherment for RSA keys (RSA key transport in TLS 1.2); extKeyUsage from the usages;
 * subjectKeyIdentifier and authorityKeyIdentifier; subjectAltName (critical iff the subject is
 * empty); cRLDistributionPoints and authorityInformationAccess when their URLs are given. Every
 * TBSCertificate passes {@link CertificateLint} before it is signed.
 */
public final class CertificateSigner {

  /** [0] EXPLICIT Version v3 (RFC 5280 §4.1.2.1). */
  private static final byte[] VERSION_3 = {(byte) 0xA0, 0x03, 0x02, 0x01, 0x02};
  private static final byte[] BASIC_CONSTRAINTS_DER =
      der(extension(Extension.basicConstraints, true, new BasicConstraints(false)));
  private static final byte[] KEY_USAGE_SIGN_DER =
      der(extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature)));
  private static final byte[] KEY_USAGE_SIGN_ENCIPHER_DER =
      der(extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment)));

  private final SigningCa ca;
  private final JcaSigner signer;
  private final CertificateLint lint;
  private final X500Name issuer;
  private final Instant caNotAfter;
  private final byte[] authorityKeyIdDer;
  private final byte[] issuerDer;
  private final byte[] signatureAlgorithmDer;
  private final Map<Set<Usage>, byte[]> extendedKeyUsages = new ConcurrentHashMap<>();
  private volatile UrlExtensions urlExtensions = new UrlExtensions(null, null, null, null, null);

  /**
   * @param ca the issuing CA
   * @param provider signs the certificates
   */
  public CertificateSigner(SigningCa ca, Provider provider) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.signer = new JcaSigner(ca.algorithm().signatureAlgorithm(), ca.privateKey(), provider);
    // RFC 5280 §4.1.2.4: the issuer field "MUST contain a non-empty distinguished name"; taking the
    // CA's encoded subject keeps it byte-identical, so name chaining never depends on re-encoding.
    this.issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    this.caNotAfter = ca.certificate().getNotAfter().toInstant();
    try {
      this.signatureAlgorithmDer = signer.algorithmIdentifier().getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.authorityKeyIdDer =
        der(extension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(ca.subjectKeyIdentifier())));
    this.issuerDer = der(issuer);
    this.lint = new CertificateLint(ca);
  }

  /** The CA this signer issues for. */
  public SigningCa ca() {
    return ca;
  }

  /**
   * Signs a certificate for {@code t} and returns its DER.
   *
   * <p>The validity is taken as given (sub-second parts dropped); it is never shortened here. A
   * certificate that would outlive its issuer is refused instead, so the caller learns that the CA
   * needs rotating rather than silently issuing something shorter than it asked for.
   *
   * @throws PkiException {@code BAD_TTL} if notAfter is after the CA's notAfter
   * @throws IllegalArgumentException for an invalid serial, an empty validity, no usages, email
   *     names, or no names at all with an empty subject
   */
  public byte[] sign(LeafTemplate t) throws PkiException {
    return sign(t, defaultExpectation(t));
  }

  private static CertificateLint.Expectation defaultExpectation(LeafTemplate t) {
    return new CertificateLint.Expectation(t.usages(), null, java.time.Duration.ZERO, t.crlDistributionPoint(),
        t.ocspUrl(), t.caIssuersUrl());
  }

  /**
   * Like {@link #sign(LeafTemplate)}, with the lint gate checking the TBSCertificate against
   * {@code expected} (the profile's names, usages and lifetime) before the real signature.
   *
   * @throws CertificateLint.LintFailure when the certificate built breaks a lint rule (a CA bug:
   *     nothing is signed)
   */
  public byte[] sign(LeafTemplate t, CertificateLint.Expectation expected) throws PkiException {
    return signTbs(tbs(t, expected));
  }

  /** {@link #tbs(LeafTemplate, CertificateLint.Expectation)} with the template's own usages and URLs as the expectation. */
  public byte[] tbs(LeafTemplate t) throws PkiException {
    return tbs(t, defaultExpectation(t));
  }

  /**
   * The DER TBSCertificate {@link #sign} would sign for {@code t}, with the same checks, and past
   * the lint gate; for callers that record what they are about to sign before signing it (a
   * pre-record).
   *
   * @throws PkiException {@code BAD_TTL} if notAfter is after the CA's notAfter
   * @throws CertificateLint.LintFailure when the certificate built breaks a lint rule
   * @throws IllegalArgumentException as {@link #sign}
   */
  public byte[] tbs(LeafTemplate t, CertificateLint.Expectation expected) throws PkiException {
    Serials.checked(t.serial());
    Instant notBefore = t.notBefore().truncatedTo(ChronoUnit.SECONDS);
    Instant notAfter = t.notAfter().truncatedTo(ChronoUnit.SECONDS);
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter must be after notBefore");
    }
    if (notAfter.isAfter(caNotAfter)) {
      throw new PkiException(
          Problem.BAD_TTL,
          "the certificate would expire at " + notAfter + ", after the issuing CA expires at " + caNotAfter);
    }
    if (t.usages().isEmpty()) {
      throw new IllegalArgumentException("at least one usage is required");
    }
    if (!t.sans().emails().isEmpty()) {
      throw new IllegalArgumentException("email names are never issued");
    }
    boolean emptySubject = t.subject().getRDNs().length == 0;
    if (emptySubject && t.sans().isEmpty()) {
      // RFC 5280 §4.1.2.6: with an empty subject, the identity must be in subjectAltName.
      throw new IllegalArgumentException("a certificate needs a subject or subjectAltName entries");
    }

    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(t.subjectKey().getEncoded());
    try {
      // The TBSCertificate (RFC 5280 §4.1) is assembled from DER pieces: what depends only on the
      // CA and the URLs was encoded once; only the serial, validity, subject, key and the small
      // per-certificate extensions are encoded here. BouncyCastle's generic encoder recomputes
      // nested lengths at every level and was the largest Java cost of issuance.
      List<byte[]> extensions = new ArrayList<>(8);
      extensions.add(BASIC_CONSTRAINTS_DER);
      extensions.add(isRsa(t.subjectKey(), spki) ? KEY_USAGE_SIGN_ENCIPHER_DER : KEY_USAGE_SIGN_DER);
      extensions.add(extendedKeyUsage(t));
      extensions.add(extension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(JcaSigner.keyIdentifier(spki)))
          .getEncoded(ASN1Encoding.DER));
      extensions.add(authorityKeyIdDer);
      if (!t.sans().isEmpty()) {
        // RFC 5280 §4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA
        // MUST include a subjectAltName extension that is marked as critical."
        extensions.add(extension(Extension.subjectAlternativeName, emptySubject, subjectAltNames(t.sans()))
            .getEncoded(ASN1Encoding.DER));
      }
      UrlExtensions urls = urlExtensions(t);
      if (urls.crlDpDer() != null) {
        extensions.add(urls.crlDpDer());
      }
      if (urls.aiaDer() != null) {
        extensions.add(urls.aiaDer());
      }
      byte[] tbsDer = Der.sequence(
          VERSION_3,
          new ASN1Integer(t.serial()).getEncoded(ASN1Encoding.DER),
          signatureAlgorithmDer,
          issuerDer,
          Der.sequence(DerTime.encode(notBefore), DerTime.encode(notAfter)),
          t.subject().getEncoded(ASN1Encoding.DER),
          spki.getEncoded(ASN1Encoding.DER),
          Der.tagged(0xA3, Der.sequence(extensions.toArray(new byte[0][]))));
      // The lint gate: nothing is signed that breaks the profile (Boulder's pre-issuance lint).
      lint.check(tbsDer, expected);
      return tbsDer;
    } catch (IOException e) {
      throw new IllegalStateException("encoding the certificate failed", e);
    }
  }

  /** Signs a TBSCertificate made by {@link #tbs} and returns the certificate's DER. */
  public byte[] signTbs(byte[] tbsDer) {
    try {
      byte[] signature = signer.sign(tbsDer);
      return Der.sequence(tbsDer, signatureAlgorithmDer, Der.bitString(signature));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing the certificate failed", e);
    }
  }

  private static boolean isRsa(PublicKey key, SubjectPublicKeyInfo spki) {
    return key instanceof RSAPublicKey
        || PKCSObjectIdentifiers.rsaEncryption.equals(spki.getAlgorithm().getAlgorithm());
  }

  private byte[] extendedKeyUsage(LeafTemplate t) {
    return extendedKeyUsages.computeIfAbsent(Set.copyOf(t.usages()), usages -> {
      List<KeyPurposeId> purposes = new ArrayList<>(2);
      for (Usage usage : Usage.values()) {
        if (usages.contains(usage)) {
          purposes.add(usage.keyPurposeId());
        }
      }
      return der(extension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(new KeyPurposeId[0]))));
    });
  }

  private static GeneralNames subjectAltNames(SubjectNames sans) {
    List<GeneralName> names = new ArrayList<>(sans.size());
    for (String dns : sans.dns()) {
      if (!dns.chars().allMatch(c -> c < 0x80)) {
        // dNSName is an IA5String; NamePolicy admits only LDH names, so this is a caller bug.
        throw new IllegalArgumentException("a DNS name must be ASCII");
      }
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress ip : sans.ips()) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
    }
    for (URI uri : sans.uris()) {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri.toASCIIString()));
    }
    return new GeneralNames(names.toArray(new GeneralName[0]));
  }

  private record UrlExtensions(URI crl, URI ocsp, URI caIssuers, byte[] crlDpDer, byte[] aiaDer) {
    boolean matches(LeafTemplate t) {
      return Objects.equals(crl, t.crlDistributionPoint())
          && Objects.equals(ocsp, t.ocspUrl())
          && Objects.equals(caIssuers, t.caIssuersUrl());
    }
  }

  private UrlExtensions urlExtensions(LeafTemplate t) {
    UrlExtensions cached = urlExtensions;
    if (cached.matches(t)) {
      return cached;
    }
    Extension crlDp = null;
    if (t.crlDistributionPoint() != null) {
      GeneralNames fullName = new GeneralNames(uriName(t.crlDistributionPoint()));
      crlDp = extension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {
          new DistributionPoint(new DistributionPointName(fullName), null, null)}));
    }
    List<AccessDescription> access = new ArrayList<>(2);
    if (t.ocspUrl() != null) {
      access.add(new AccessDescription(X509ObjectIdentifiers.id_ad_ocsp, uriName(t.ocspUrl())));
    }
    if (t.caIssuersUrl() != null) {
      access.add(new AccessDescription(X509ObjectIdentifiers.id_ad_caIssuers, uriName(t.caIssuersUrl())));
    }
    Extension aia = access.isEmpty()
        ? null
        : extension(Extension.authorityInfoAccess, false,
            new AuthorityInformationAccess(access.toArray(new AccessDescription[0])));
    UrlExtensions fresh = new UrlExtensions(t.crlDistributionPoint(), t.ocspUrl(), t.caIssuersUrl(),
        crlDp == null ? null : der(crlDp), aia == null ? null : der(aia));
    urlExtensions = fresh;
    return fresh;
  }

  private static GeneralName uriName(URI uri) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, uri.toASCIIString());
  }

  private static byte[] der(org.bouncycastle.asn1.ASN1Object value) {
    try {
      return value.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + value, e);
    }
  }

  private static Extension extension(ASN1ObjectIdentifier oid, boolean critical, org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      return new Extension(oid, critical, value.toASN1Primitive().getEncoded("DER"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode extension " + oid, e);
    }
  }
}
