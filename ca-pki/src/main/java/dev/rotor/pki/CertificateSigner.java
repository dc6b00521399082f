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
import java.util.Date;
import java.util.List;
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
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;

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
 * empty); cRLDistributionPoints and authorityInformationAccess when their URLs are given.
 */
public final class CertificateSigner {

  private static final Extension BASIC_CONSTRAINTS = extension(Extension.basicConstraints, true, new BasicConstraints(false));
  private static final Extension KEY_USAGE_SIGN =
      extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
  private static final Extension KEY_USAGE_SIGN_ENCIPHER =
      extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));

  private final SigningCa ca;
  private final JcaSigner signer;
  private final X500Name issuer;
  private final Instant caNotAfter;
  private final Extension authorityKeyId;
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
    this.authorityKeyId =
        extension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(ca.subjectKeyIdentifier()));
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
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
        issuer, t.serial(), new Time(Date.from(notBefore)), new Time(Date.from(notAfter)), t.subject(), spki);
    try {
      builder.addExtension(BASIC_CONSTRAINTS);
      builder.addExtension(isRsa(t.subjectKey(), spki) ? KEY_USAGE_SIGN_ENCIPHER : KEY_USAGE_SIGN);
      builder.addExtension(extendedKeyUsage(t));
      builder.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(JcaSigner.keyIdentifier(spki)));
      builder.addExtension(authorityKeyId);
      if (!t.sans().isEmpty()) {
        // RFC 5280 §4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA
        // MUST include a subjectAltName extension that is marked as critical."
        builder.addExtension(Extension.subjectAlternativeName, emptySubject, subjectAltNames(t.sans()));
      }
      UrlExtensions urls = urlExtensions(t);
      if (urls.crlDp() != null) {
        builder.addExtension(urls.crlDp());
      }
      if (urls.aia() != null) {
        builder.addExtension(urls.aia());
      }
      return builder.build(signer.newSigner()).getEncoded();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("signing the certificate failed", e);
    }
  }

  private static boolean isRsa(PublicKey key, SubjectPublicKeyInfo spki) {
    return key instanceof RSAPublicKey
        || PKCSObjectIdentifiers.rsaEncryption.equals(spki.getAlgorithm().getAlgorithm());
  }

  private static Extension extendedKeyUsage(LeafTemplate t) {
    List<KeyPurposeId> purposes = new ArrayList<>(2);
    for (Usage usage : Usage.values()) {
      if (t.usages().contains(usage)) {
        purposes.add(usage.keyPurposeId());
      }
    }
    return extension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(new KeyPurposeId[0])));
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

  private record UrlExtensions(URI crl, URI ocsp, URI caIssuers, Extension crlDp, Extension aia) {
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
    UrlExtensions fresh = new UrlExtensions(t.crlDistributionPoint(), t.ocspUrl(), t.caIssuersUrl(), crlDp, aia);
    urlExtensions = fresh;
    return fresh;
  }

  private static GeneralName uriName(URI uri) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, uri.toASCIIString());
  }

  private static Extension extension(ASN1ObjectIdentifier oid, boolean critical, org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      return new Extension(oid, critical, value.toASN1Primitive().getEncoded("DER"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode extension " + oid, e);
    }
  }
}
