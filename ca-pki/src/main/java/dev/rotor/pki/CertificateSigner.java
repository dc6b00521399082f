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
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;

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
  private final byte[] signatureAlgorithmDer;
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
    ExtensionsGenerator extensions = new ExtensionsGenerator();
    extensions.addExtension(BASIC_CONSTRAINTS);
    extensions.addExtension(isRsa(t.subjectKey(), spki) ? KEY_USAGE_SIGN_ENCIPHER : KEY_USAGE_SIGN);
    extensions.addExtension(extendedKeyUsage(t));
    extensions.addExtension(extension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(JcaSigner.keyIdentifier(spki))));
    extensions.addExtension(authorityKeyId);
    if (!t.sans().isEmpty()) {
      // RFC 5280 §4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA
      // MUST include a subjectAltName extension that is marked as critical."
      extensions.addExtension(extension(Extension.subjectAlternativeName, emptySubject, subjectAltNames(t.sans())));
    }
    UrlExtensions urls = urlExtensions(t);
    if (urls.crlDp() != null) {
      extensions.addExtension(urls.crlDp());
    }
    if (urls.aia() != null) {
      extensions.addExtension(urls.aia());
    }
    V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
    tbs.setSerialNumber(new ASN1Integer(t.serial()));
    tbs.setSignature(signer.algorithmIdentifier());
    tbs.setIssuer(issuer);
    tbs.setStartDate(DerTime.of(notBefore));
    tbs.setEndDate(DerTime.of(notAfter));
    tbs.setSubject(t.subject());
    tbs.setSubjectPublicKeyInfo(spki);
    tbs.setExtensions(extensions.generate());
    try {
      // Encode the TBSCertificate once, sign those bytes, and wrap them (RFC 5280 §4.1:
      // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }) without
      // re-encoding the TBS, which building through X509v3CertificateBuilder would do twice.
      byte[] tbsDer = tbs.generateTBSCertificate().getEncoded(ASN1Encoding.DER);
      byte[] signature = signer.sign(tbsDer);
      return certificate(tbsDer, signatureAlgorithmDer, signature);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("signing the certificate failed", e);
    }
  }

  /** DER SEQUENCE { tbs, algorithm, BIT STRING (0 unused bits) signature }. */
  static byte[] certificate(byte[] tbsDer, byte[] algorithmDer, byte[] signature) {
    int bitStringContent = signature.length + 1;
    int bitString = 1 + lengthOfLength(bitStringContent) + bitStringContent;
    int content = tbsDer.length + algorithmDer.length + bitString;
    byte[] out = new byte[1 + lengthOfLength(content) + content];
    int i = 0;
    out[i++] = 0x30;
    i = writeLength(out, i, content);
    System.arraycopy(tbsDer, 0, out, i, tbsDer.length);
    i += tbsDer.length;
    System.arraycopy(algorithmDer, 0, out, i, algorithmDer.length);
    i += algorithmDer.length;
    out[i++] = 0x03;
    i = writeLength(out, i, bitStringContent);
    out[i++] = 0x00;
    System.arraycopy(signature, 0, out, i, signature.length);
    return out;
  }

  private static int lengthOfLength(int length) {
    return length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 4;
  }

  private static int writeLength(byte[] out, int i, int length) {
    if (length < 0x80) {
      out[i++] = (byte) length;
    } else if (length < 0x100) {
      out[i++] = (byte) 0x81;
      out[i++] = (byte) length;
    } else if (length < 0x10000) {
      out[i++] = (byte) 0x82;
      out[i++] = (byte) (length >> 8);
      out[i++] = (byte) length;
    } else {
      out[i++] = (byte) 0x83;
      out[i++] = (byte) (length >> 16);
      out[i++] = (byte) (length >> 8);
      out[i++] = (byte) length;
    }
    return i;
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
