package dev.rotor.pki;

import dev.rotor.pki.PkiException.Problem;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;

/**
 * Parses and checks PKCS#10 certificate signing requests (RFC 2986) before anything is issued.
 *
 * <p>The checks, in order: size and DER shape; PKCS#10 structure; an accepted and sound subject
 * key (EC P-256/P-384 and RSA 2048–8192 bits passing {@link KeyChecks}, Ed25519 of large order);
 * an accepted signature algorithm (ECDSA, RSA PKCS#1 v1.5 or RSASSA-PSS with SHA-256/384/512, or
 * Ed25519); the self-signature; and the extensionRequest attribute (no duplicate extensions, a
 * well-formed subjectAltName whose names are extracted). Keys are checked before the signature so
 * that an oversized RSA key or exponent costs nothing to refuse.
 *
 * <p>Requested extensions other than subjectAltName are read only to find duplicates: the CA builds
 * every certificate from its profile and never copies extensions from a CSR, so a request for
 * {@code cA=true} or a strange key usage is harmless and is not refused.
 *
 * <p>Every failure is a {@link PkiException}; no {@link RuntimeException} from the ASN.1 parsers
 * escapes, whatever the bytes. Instances are immutable and thread-safe.
 */
public final class CsrChecker {

  /** The largest DER CSR accepted; a CSR with an 8192-bit key and 100 names is well under it. */
  public static final int MAX_DER_BYTES = 64 * 1024;

  /** RSA moduli below this are refused; see {@link KeyChecks}. */
  public static final int MIN_RSA_BITS = KeyChecks.MIN_RSA_BITS;

  /** RSA moduli above this are refused; see {@link KeyChecks}. */
  public static final int MAX_RSA_BITS = KeyChecks.MAX_RSA_BITS;


  private static final Map<ASN1ObjectIdentifier, String> PSS_HASHES = Map.of(
      NISTObjectIdentifiers.id_sha256, "SHA-256",
      NISTObjectIdentifiers.id_sha384, "SHA-384",
      NISTObjectIdentifiers.id_sha512, "SHA-512");

  private static final Map<Integer, String> SAN_TYPE_NAMES = Map.of(
      GeneralName.otherName, "otherName",
      GeneralName.x400Address, "x400Address",
      GeneralName.directoryName, "directoryName",
      GeneralName.ediPartyName, "ediPartyName",
      GeneralName.registeredID, "registeredID");

  private final Provider provider;

  /**
   * @param provider verifies the CSR self-signatures; algorithms it lacks fall back to BouncyCastle
   */
  public CsrChecker(Provider provider) {
    this.provider = Objects.requireNonNull(provider, "provider");
  }

  /**
   * Checks the first {@code CERTIFICATE REQUEST} (or legacy {@code NEW CERTIFICATE REQUEST}) PEM
   * block of {@code pem}.
   */
  public CheckedCsr check(String pem) throws PkiException {
    byte[] der;
    try {
      der = Pem.decodeOne(pem, "CERTIFICATE REQUEST");
    } catch (PkiException e) {
      if (e.problem() != Problem.NOT_PEM) {
        throw e;
      }
      try {
        der = Pem.decodeOne(pem, "NEW CERTIFICATE REQUEST");
      } catch (PkiException legacy) {
        if (legacy.problem() != Problem.NOT_PEM) {
          throw legacy;
        }
        throw new PkiException(Problem.NOT_PEM, "no CERTIFICATE REQUEST PEM block found");
      }
    }
    return check(der);
  }

  /** Checks a DER-encoded CSR. */
  public CheckedCsr check(byte[] der) throws PkiException {
    if (der == null || der.length == 0) {
      throw new PkiException(Problem.MALFORMED, "the CSR is empty");
    }
    if (der.length > MAX_DER_BYTES) {
      throw new PkiException(
          Problem.TOO_LARGE, "the CSR has " + der.length + " bytes; the limit is " + MAX_DER_BYTES);
    }
    String shape = DerLimits.check(der);
    if (shape != null) {
      throw new PkiException(Problem.MALFORMED, "the CSR is not valid DER: " + shape);
    }
    CertificationRequestInfo info;
    AlgorithmIdentifier sigAlg;
    byte[] signature;
    try {
      ASN1Sequence outer = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(der));
      if (outer.size() != 3) {
        throw new PkiException(Problem.MALFORMED, "the CSR is not a PKCS#10 CertificationRequest");
      }
      CertificationRequest request = CertificationRequest.getInstance(outer);
      info = request.getCertificationRequestInfo();
      sigAlg = request.getSignatureAlgorithm();
      signature = request.getSignature().getOctets();
      if (!info.getVersion().hasValue(0)) {
        // RFC 2986 §4.1: version "shall be 0 for this version of the standard".
        throw new PkiException(Problem.MALFORMED, "the CSR version must be 0 (v1)");
      }
      Objects.requireNonNull(info.getSubject(), "subject");
      Objects.requireNonNull(info.getSubjectPublicKeyInfo(), "subjectPKInfo");
    } catch (IOException | RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the CSR does not parse as PKCS#10", e);
    }

    // The key first: "Ed448 keys are not supported" is more use to a client than a complaint
    // about the Ed448 signature its key made.
    SubjectKey key = subjectKey(info.getSubjectPublicKeyInfo());
    // Parameters of the PKCS#1 v1.5 and ECDSA algorithms (NULL or absent) are not checked: they
    // carry nothing, and the CA never copies the CSR's algorithm identifier.
    Verifier verifier = signatureAlgorithm(sigAlg);
    if (verifier.family() != key.family()) {
      throw new PkiException(
          Problem.BAD_SIGNATURE,
          "the CSR is signed with " + verifier.jcaName() + ", which cannot be made by its " + key.family() + " key");
    }
    // RFC 2986 §4.2 signs the DER of certificationRequestInfo; verifying over the received bytes
    // (rather than a re-encoding) accepts exactly what the requester signed.
    verify(verifier, key.publicKey(), DerLimits.firstElement(der), signature);

    X500Name subject;
    try {
      subject = X500Name.getInstance(info.getSubject());
    } catch (RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the CSR subject does not parse", e);
    }
    SubjectNames names = requestedNames(info.getAttributes());
    return new CheckedCsr(der, key.publicKey(), key.type(), key.bits(), subject, names);
  }

  // --- signature algorithm -------------------------------------------------------------------

  private enum Family { EC, RSA, ED25519 }

  private record Verifier(String jcaName, AlgorithmParameterSpec params, Family family) {}

  private static Verifier signatureAlgorithm(AlgorithmIdentifier alg) throws PkiException {
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    if (X9ObjectIdentifiers.ecdsa_with_SHA256.equals(oid)) {
      return new Verifier("SHA256withECDSA", null, Family.EC);
    }
    if (X9ObjectIdentifiers.ecdsa_with_SHA384.equals(oid)) {
      return new Verifier("SHA384withECDSA", null, Family.EC);
    }
    if (X9ObjectIdentifiers.ecdsa_with_SHA512.equals(oid)) {
      return new Verifier("SHA512withECDSA", null, Family.EC);
    }
    if (PKCSObjectIdentifiers.sha256WithRSAEncryption.equals(oid)) {
      return new Verifier("SHA256withRSA", null, Family.RSA);
    }
    if (PKCSObjectIdentifiers.sha384WithRSAEncryption.equals(oid)) {
      return new Verifier("SHA384withRSA", null, Family.RSA);
    }
    if (PKCSObjectIdentifiers.sha512WithRSAEncryption.equals(oid)) {
      return new Verifier("SHA512withRSA", null, Family.RSA);
    }
    if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
      return new Verifier("Ed25519", null, Family.ED25519);
    }
    if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(oid)) {
      return new Verifier("RSASSA-PSS", pssParams(alg.getParameters()), Family.RSA);
    }
    throw new PkiException(
        Problem.UNSUPPORTED_SIGNATURE_ALGORITHM,
        "the CSR signature algorithm " + algorithmName(oid) + " is not accepted; use ECDSA, RSA"
            + " (PKCS#1 v1.5 or PSS) with SHA-256, SHA-384 or SHA-512, or Ed25519");
  }

  private static PSSParameterSpec pssParams(ASN1Encodable encoded) throws PkiException {
    RSASSAPSSparams params;
    try {
      // RFC 4055 §3.1: absent parameters would mean the SHA-1 defaults, which are refused below.
      params = encoded == null ? new RSASSAPSSparams() : RSASSAPSSparams.getInstance(encoded);
    } catch (RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the CSR's RSASSA-PSS parameters do not parse", e);
    }
    String hash = PSS_HASHES.get(params.getHashAlgorithm().getAlgorithm());
    if (hash == null) {
      throw new PkiException(
          Problem.UNSUPPORTED_SIGNATURE_ALGORITHM,
          "RSASSA-PSS with hash " + algorithmName(params.getHashAlgorithm().getAlgorithm())
              + " is not accepted; use SHA-256, SHA-384 or SHA-512");
    }
    if (!PKCSObjectIdentifiers.id_mgf1.equals(params.getMaskGenAlgorithm().getAlgorithm())) {
      throw new PkiException(
          Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "RSASSA-PSS with a mask generation function other than MGF1");
    }
    String mgfHash;
    try {
      AlgorithmIdentifier mgfHashAlg = AlgorithmIdentifier.getInstance(params.getMaskGenAlgorithm().getParameters());
      mgfHash = PSS_HASHES.get(mgfHashAlg.getAlgorithm());
    } catch (RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the CSR's RSASSA-PSS MGF1 parameters do not parse", e);
    }
    if (mgfHash == null) {
      throw new PkiException(
          Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "RSASSA-PSS with MGF1 over a hash other than SHA-256/384/512");
    }
    BigInteger salt = params.getSaltLength();
    BigInteger trailer = params.getTrailerField();
    if (salt.signum() < 0 || salt.bitLength() > 16 || !trailer.equals(BigInteger.ONE)) {
      throw new PkiException(Problem.MALFORMED, "the CSR's RSASSA-PSS salt length or trailer field is invalid");
    }
    return new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(mgfHash), salt.intValue(), 1);
  }

  private void verify(Verifier verifier, PublicKey key, byte[] signed, byte[] signature) throws PkiException {
    boolean valid;
    try {
      Signature sig;
      try {
        sig = Signature.getInstance(verifier.jcaName(), provider);
      } catch (NoSuchAlgorithmException e) {
        sig = Signature.getInstance(verifier.jcaName(), CryptoProviders.bouncyCastle());
      }
      if (verifier.params() != null) {
        sig.setParameter(verifier.params());
      }
      sig.initVerify(key);
      sig.update(signed);
      valid = sig.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new PkiException(Problem.BAD_SIGNATURE, "the CSR signature does not verify", e);
    }
    if (!valid) {
      throw new PkiException(Problem.BAD_SIGNATURE, "the CSR signature does not verify");
    }
  }

  // --- subject key ---------------------------------------------------------------------------

  private record SubjectKey(PublicKey publicKey, KeyType type, int bits, Family family) {}

  private static SubjectKey subjectKey(SubjectPublicKeyInfo spki) throws PkiException {
    ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
    byte[] keyBytes;
    try {
      keyBytes = spki.getPublicKeyData().getOctets();
    } catch (RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the CSR public key BIT STRING has unused bits", e);
    }
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(alg)) {
      return ecKey(spki, keyBytes);
    }
    if (PKCSObjectIdentifiers.rsaEncryption.equals(alg)) {
      return rsaKey(keyBytes);
    }
    if (EdECObjectIdentifiers.id_Ed25519.equals(alg)) {
      return ed25519Key(keyBytes);
    }
    String name;
    if (EdECObjectIdentifiers.id_Ed448.equals(alg)) {
      name = "Ed448";
    } else if (X9ObjectIdentifiers.id_dsa.equals(alg) || OIWObjectIdentifiers.dsaWithSHA1.equals(alg)) {
      name = "DSA";
    } else if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(alg)) {
      name = "RSASSA-PSS-restricted RSA (use an rsaEncryption key; PSS signatures are fine)";
    } else if (EdECObjectIdentifiers.id_X25519.equals(alg) || EdECObjectIdentifiers.id_X448.equals(alg)) {
      name = "X25519/X448 (key agreement only)";
    } else {
      name = algorithmName(alg);
    }
    throw new PkiException(
        Problem.UNSUPPORTED_KEY, name + " keys are not supported; use EC P-256, EC P-384, Ed25519 or RSA");
  }

  private static SubjectKey ecKey(SubjectPublicKeyInfo spki, byte[] point) throws PkiException {
    ASN1Encodable params = spki.getAlgorithm().getParameters();
    if (!(params instanceof ASN1ObjectIdentifier curve)) {
      // RFC 5480 §2.1.1: specifiedCurve and implicitCurve "MUST NOT be used in PKIX".
      throw new PkiException(Problem.UNSUPPORTED_KEY, "EC keys must name their curve (RFC 5480 §2.1.1)");
    }
    KeyType type;
    String jdkCurve;
    if (SECObjectIdentifiers.secp256r1.equals(curve)) {
      type = KeyType.EC_P256;
      jdkCurve = "P-256";
    } else if (SECObjectIdentifiers.secp384r1.equals(curve)) {
      type = KeyType.EC_P384;
      jdkCurve = "P-384";
    } else {
      String name = ECNamedCurveTable.getName(curve);
      throw new PkiException(
          Problem.UNSUPPORTED_KEY,
          "EC curve " + (name != null ? name : curve.getId()) + " is not supported; use P-256 or P-384");
    }
    // BouncyCastle's custom curve classes do P-256/P-384 field arithmetic an order of magnitude
    // faster than the generic curve ECNamedCurveTable returns; the check is the same.
    X9ECParameters x9 = CustomNamedCurves.getByOID(curve);
    if (x9 == null) {
      x9 = ECNamedCurveTable.getByOID(curve);
    }
    int fieldBytes = (x9.getCurve().getFieldSize() + 7) / 8;
    if (point.length == 1 && point[0] == 0) {
      throw new PkiException(Problem.WEAK_KEY, "the " + jdkCurve + " public key is the point at infinity");
    }
    boolean uncompressed = point.length == 1 + 2 * fieldBytes && point[0] == 0x04;
    boolean compressed = point.length == 1 + fieldBytes && (point[0] == 0x02 || point[0] == 0x03);
    if (!uncompressed && !compressed) {
      // RFC 5480 §2.2: 0x04 uncompressed or 0x02/0x03 compressed; no hybrid forms.
      throw new PkiException(Problem.MALFORMED, "the " + jdkCurve + " public key is not a valid point encoding");
    }
    ECPoint decoded;
    try {
      decoded = x9.getCurve().decodePoint(point);
    } catch (RuntimeException e) {
      // BouncyCastle refuses a coordinate at or above the field prime, or an x with no y.
      throw new PkiException(Problem.WEAK_KEY, "the " + jdkCurve + " public key is not a point on the curve");
    }
    KeyChecks.checkEcPoint(decoded);
    // Re-encode uncompressed: the JDK's key factory reads only that form, and it is what the
    // certificate will carry (the form every TLS stack must accept).
    byte[] spkiDer = encode(new SubjectPublicKeyInfo(spki.getAlgorithm(), decoded.getEncoded(false)));
    PublicKey key = jdkKey("EC", new X509EncodedKeySpec(spkiDer));
    return new SubjectKey(key, type, type == KeyType.EC_P256 ? 256 : 384, Family.EC);
  }

  private static SubjectKey rsaKey(byte[] keyBytes) throws PkiException {
    BigInteger n;
    BigInteger e;
    try {
      ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(keyBytes));
      if (seq.size() != 2) {
        throw new IllegalArgumentException("RSAPublicKey has " + seq.size() + " elements");
      }
      n = ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
      e = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
    } catch (IOException | RuntimeException ex) {
      throw new PkiException(Problem.MALFORMED, "the RSA public key does not parse", ex);
    }
    KeyChecks.checkRsa(n, e);
    int bits = n.bitLength();
    PublicKey key = jdkKey("RSA", new RSAPublicKeySpec(n, e));
    return new SubjectKey(key, KeyType.RSA, bits, Family.RSA);
  }

  private static SubjectKey ed25519Key(byte[] keyBytes) throws PkiException {
    if (keyBytes.length != Ed25519.PUBLIC_KEY_SIZE) {
      throw new PkiException(Problem.MALFORMED, "an Ed25519 public key has 32 bytes");
    }
    // Full validation (RFC 8032 §5.1.3 decoding plus a small-order check): a small-order key would
    // let many messages verify under one signature.
    if (!Ed25519.validatePublicKeyFull(keyBytes, 0)) {
      throw new PkiException(Problem.WEAK_KEY, "the Ed25519 public key is not a valid point of large order");
    }
    byte[] spkiDer = encode(new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), keyBytes));
    PublicKey key = jdkKey("Ed25519", new X509EncodedKeySpec(spkiDer));
    return new SubjectKey(key, KeyType.ED25519, 255, Family.ED25519);
  }

  /**
   * Key objects come from the JDK's own factories: every provider (AWS-LC, BouncyCastle, SunEC)
   * accepts the standard {@code java.security.interfaces} types, while provider-specific classes
   * are not always accepted by another provider.
   */
  private static PublicKey jdkKey(String algorithm, java.security.spec.KeySpec spec) throws PkiException {
    try {
      return KeyFactory.getInstance(algorithm).generatePublic(spec);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the " + algorithm + " public key is not usable", e);
    }
  }

  // --- requested extensions ------------------------------------------------------------------

  private static SubjectNames requestedNames(ASN1Set attributes) throws PkiException {
    if (attributes == null) {
      return SubjectNames.of(List.of(), List.of(), List.of());
    }
    ASN1Sequence extensions = null;
    try {
      for (ASN1Encodable element : attributes) {
        Attribute attribute = Attribute.getInstance(element);
        if (!PKCSObjectIdentifiers.pkcs_9_at_extensionRequest.equals(attribute.getAttrType())) {
          continue;
        }
        if (extensions != null) {
          throw new PkiException(Problem.BAD_EXTENSION, "the CSR has more than one extensionRequest attribute");
        }
        // RFC 2985 §5.4.2: extensionRequest is SINGLE VALUE TRUE.
        if (attribute.getAttrValues().size() != 1) {
          throw new PkiException(Problem.BAD_EXTENSION, "the extensionRequest attribute must have exactly one value");
        }
        extensions = ASN1Sequence.getInstance(attribute.getAttrValues().getObjectAt(0));
      }
    } catch (RuntimeException e) {
      throw new PkiException(Problem.BAD_EXTENSION, "the CSR attributes do not parse", e);
    }
    if (extensions == null) {
      return SubjectNames.of(List.of(), List.of(), List.of());
    }
    Set<ASN1ObjectIdentifier> seen = new HashSet<>();
    SubjectNames names = SubjectNames.of(List.of(), List.of(), List.of());
    for (ASN1Encodable element : extensions) {
      Extension extension;
      try {
        extension = Extension.getInstance(element);
      } catch (RuntimeException e) {
        throw new PkiException(Problem.BAD_EXTENSION, "a requested extension does not parse", e);
      }
      // RFC 5280 §4.2: a certificate "MUST NOT include more than one instance of a particular
      // extension"; a request that asks for two is ambiguous, so it is refused.
      if (!seen.add(extension.getExtnId())) {
        throw new PkiException(
            Problem.BAD_EXTENSION, "the CSR requests extension " + extension.getExtnId().getId() + " more than once");
      }
      if (Extension.subjectAlternativeName.equals(extension.getExtnId())) {
        names = subjectAltNames(extension.getExtnValue().getOctets());
      }
    }
    return names;
  }

  private static SubjectNames subjectAltNames(byte[] value) throws PkiException {
    String shape = DerLimits.check(value);
    if (shape != null) {
      throw new PkiException(Problem.BAD_EXTENSION, "the subjectAltName extension is not valid DER: " + shape);
    }
    GeneralName[] entries;
    try {
      entries = GeneralNames.getInstance(ASN1Primitive.fromByteArray(value)).getNames();
    } catch (IOException | RuntimeException e) {
      throw new PkiException(Problem.BAD_EXTENSION, "the subjectAltName extension does not parse", e);
    }
    if (entries.length == 0) {
      // RFC 5280 §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName.
      throw new PkiException(Problem.BAD_EXTENSION, "the subjectAltName extension is empty");
    }
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    List<URI> uris = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    for (GeneralName entry : entries) {
      try {
        switch (entry.getTagNo()) {
          case GeneralName.dNSName -> dns.add(ASN1IA5String.getInstance(entry.getName()).getString());
          case GeneralName.rfc822Name -> emails.add(ASN1IA5String.getInstance(entry.getName()).getString());
          case GeneralName.uniformResourceIdentifier -> uris.add(uri(ASN1IA5String.getInstance(entry.getName()).getString()));
          case GeneralName.iPAddress -> ips.add(ipAddress(ASN1OctetString.getInstance(entry.getName()).getOctets()));
          default -> throw new PkiException(
              Problem.BAD_EXTENSION,
              "unsupported SAN type " + SAN_TYPE_NAMES.getOrDefault(entry.getTagNo(), "#" + entry.getTagNo()));
        }
      } catch (RuntimeException e) {
        throw new PkiException(Problem.BAD_EXTENSION, "a subjectAltName entry does not parse", e);
      }
    }
    return new SubjectNames(dns, ips, uris, emails);
  }

  private static URI uri(String value) throws PkiException {
    try {
      return new URI(value);
    } catch (URISyntaxException e) {
      throw new PkiException(Problem.BAD_EXTENSION, "the SAN URI \"" + shorten(value) + "\" does not parse");
    }
  }

  private static InetAddress ipAddress(byte[] octets) throws PkiException {
    try {
      if (octets.length == 4) {
        return InetAddress.getByAddress(octets);
      }
      if (octets.length == 16) {
        // Inet6Address keeps an IPv4-mapped address as the 16 bytes it was requested as;
        // InetAddress.getByAddress would silently turn it into a 4-byte address.
        return Inet6Address.getByAddress(null, octets, -1);
      }
    } catch (UnknownHostException e) {
      // Unreachable for 4 and 16 bytes; refused below like any other length.
    }
    throw new PkiException(
        Problem.BAD_EXTENSION, "a SAN iPAddress has " + octets.length + " bytes; it must have 4 or 16");
  }

  // --- helpers -------------------------------------------------------------------------------

  private static byte[] encode(SubjectPublicKeyInfo spki) throws PkiException {
    try {
      return spki.getEncoded("DER");
    } catch (IOException e) {
      throw new PkiException(Problem.MALFORMED, "the public key cannot be encoded", e);
    }
  }

  private static String algorithmName(ASN1ObjectIdentifier oid) {
    String name = new DefaultAlgorithmNameFinder().getAlgorithmName(oid);
    return name.equals(oid.getId()) ? oid.getId() : name + " (" + oid.getId() + ")";
  }

  private static String shorten(String s) {
    return s.length() > 256 ? s.substring(0, 256) + "..." : s;
  }

}
