package dev.rotor.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.X509Certificate;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
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

/**
 * The certificate lint gate: checks a to-be-signed leaf certificate against Rotor's profile
 * (RFC 5280 and the CA/Browser Forum Baseline Requirements points that apply to it) before the CA
 * signs it, and re-checks stored certificates for the checker job.
 *
 * <p>Boulder signs the TBSCertificate with a throwaway "lint key" so that zlint, which reads whole
 * certificates, can look at it. This linter reads the DER TBSCertificate itself, so that extra
 * signature (about 1 ms for an RSA-3072 CA) buys nothing and is not made: what is linted is
 * exactly the byte string the CA then signs. It parses the bytes itself (not through
 * {@code TBSCertificate.getInstance}, which refuses duplicate extensions before they could be
 * reported) and decodes times by hand ({@code ASN1UTCTime.getDate} goes through
 * {@code SimpleDateFormat}); a clean certificate costs a few microseconds.
 *
 * <p>Every rule has a stable id ({@link Rule#id()}) for logs, metrics and problem details. Findings
 * never contain key material: only names, OIDs, times and lengths.
 */
public final class CertificateLint {

  /** The rules, each with the id used in logs, metrics and problem details. */
  public enum Rule {
    /** The TBSCertificate does not parse as RFC 5280 §4.1 describes. */
    MALFORMED("malformed"),
    /** RFC 5280 §4.1.2.1: v3, since extensions are present. */
    VERSION("version-v3"),
    /** RFC 5280 §4.1.2.2: "MUST be a positive integer". */
    SERIAL_POSITIVE("serial-positive"),
    /** RFC 5280 §4.1.2.2: no more than 20 octets. */
    SERIAL_LENGTH("serial-length"),
    /** BR §7.1: at least 64 bits of CSPRNG output, so never short. */
    SERIAL_ENTROPY("serial-entropy"),
    /** BR §7.1.3.2: the AlgorithmIdentifier bytes are exactly those for the issuer's key. */
    SIGNATURE_ALGORITHM("signature-algorithm"),
    /** RFC 5280 §4.1.2.4 and §7.1: the issuer is byte-for-byte the CA's subject. */
    ISSUER_NAME("issuer-name"),
    /** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, Z, with seconds. */
    VALIDITY_ENCODING("validity-encoding"),
    /** notBefore before notAfter. */
    VALIDITY_ORDER("validity-order"),
    /** The validity period is at most the profile's maximum lifetime plus the backdate. */
    VALIDITY_PERIOD("validity-period"),
    /** The validity lies within the issuing CA's. */
    VALIDITY_WITHIN_ISSUER("validity-within-issuer"),
    /** RFC 5280 §4.1.2.8: CAs conforming to the profile do not generate unique identifiers. */
    UNIQUE_IDENTIFIERS("unique-identifiers"),
    /** BR §7.1.4.3: the subject is empty or one commonName that is one of the SAN dNSNames. */
    SUBJECT("subject"),
    /** RFC 5280 §4.2: "MUST NOT include more than one instance of a particular extension". */
    DUPLICATE_EXTENSION("duplicate-extension"),
    /** Only the extensions of Rotor's leaf profile. */
    EXTENSION_NOT_ALLOWED("extension-not-allowed"),
    /** keyUsage present, critical, digitalSignature, plus keyEncipherment exactly for RSA keys. */
    KEY_USAGE("key-usage"),
    /** extKeyUsage present, not critical, exactly the profile's usages. */
    EXTENDED_KEY_USAGE("extended-key-usage"),
    /** basicConstraints present, critical, cA false, no pathLenConstraint (BR §7.1.2.7.8). */
    BASIC_CONSTRAINTS("basic-constraints"),
    /** subjectAltName present, critical iff the subject is empty, non-empty, allowed kinds only. */
    SUBJECT_ALT_NAME("subject-alt-name"),
    /** authorityKeyIdentifier present, not critical, keyIdentifier = the issuer's SKI only. */
    AUTHORITY_KEY_IDENTIFIER("authority-key-identifier"),
    /** subjectKeyIdentifier present, not critical, the RFC 5280 method (1) hash of the key. */
    SUBJECT_KEY_IDENTIFIER("subject-key-identifier"),
    /** cRLDistributionPoints: not critical, exactly the configured URL (absent when none). */
    CRL_DISTRIBUTION_POINTS("crl-distribution-points"),
    /** authorityInformationAccess: not critical, exactly the configured OCSP and caIssuers URLs. */
    AUTHORITY_INFO_ACCESS("authority-info-access"),
    /** The outer signatureAlgorithm equals the TBSCertificate's (RFC 5280 §4.1.1.2). */
    OUTER_SIGNATURE_ALGORITHM("outer-signature-algorithm");

    private final String id;

    Rule(String id) {
      this.id = id;
    }

    /** The stable id, e.g. {@code serial-entropy}. */
    public String id() {
      return id;
    }
  }

  /** One broken rule, with a sentence about what was found (no key material). */
  public record Finding(Rule rule, String detail) {
    @Override
    public String toString() {
      return rule.id() + ": " + detail;
    }
  }

  /**
   * What a certificate is checked against besides its issuer.
   *
   * @param usages the extended key usages it must carry, exactly
   * @param profile the profile it was issued under, or null to skip the profile's name and lifetime
   *     rules (a certificate signed outside the issuance door, as tests do)
   * @param backdate how far notBefore may lie before issuance (added to the profile's maxTtl)
   * @param crl the cRLDistributionPoints URL, or null for none
   * @param ocsp the OCSP URL, or null for none
   * @param caIssuers the caIssuers URL, or null for none
   */
  public record Expectation(Set<Usage> usages, Profile profile, Duration backdate, URI crl, URI ocsp, URI caIssuers) {
    public Expectation {
      usages = Set.copyOf(usages);
      Objects.requireNonNull(backdate, "backdate");
    }

    /** The expectation for a certificate issued under {@code profile}. */
    public static Expectation of(Profile profile, Duration backdate, URI crl, URI ocsp, URI caIssuers) {
      return new Expectation(profile.usages(), profile, backdate, crl, ocsp, caIssuers);
    }
  }

  /** Thrown by {@link #check} and the signing path when a certificate breaks a rule: a CA bug. */
  public static final class LintFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<Finding> findings;

    LintFailure(List<Finding> findings) {
      super("certificate lint failed: " + findings);
      this.findings = List.copyOf(findings);
    }

    /** Every broken rule, at least one. */
    public List<Finding> findings() {
      return findings;
    }

    /** The ids of the broken rules, comma-separated (for a metric tag or a log field). */
    public String ruleIds() {
      return String.join(",", findings.stream().map(f -> f.rule().id()).distinct().toList());
    }
  }

  private static final Set<ASN1ObjectIdentifier> ALLOWED_EXTENSIONS = Set.of(
      Extension.basicConstraints, Extension.keyUsage, Extension.extendedKeyUsage, Extension.subjectKeyIdentifier,
      Extension.authorityKeyIdentifier, Extension.subjectAlternativeName, Extension.cRLDistributionPoints,
      Extension.authorityInfoAccess);
  private static final HexFormat HEX = HexFormat.of();
  private static final int MIN_SERIAL_BITS = 64;
  private static final Instant Y2050 = Instant.parse("2050-01-01T00:00:00Z");

  private final byte[] issuerSubjectDer;
  private final byte[] issuerSki;
  private final byte[] signatureAlgorithmDer;
  private final Instant issuerNotBefore;
  private final Instant issuerNotAfter;

  /** A linter for the leaves of {@code ca}. */
  public CertificateLint(SigningCa ca) {
    this(ca.certificate(), ca.algorithm(), ca.subjectKeyIdentifier());
  }

  /** A linter for the leaves of an issuer whose private key is elsewhere (the checker job). */
  public CertificateLint(X509Certificate issuer) {
    this(issuer, KeyAlgorithm.of(issuer.getPublicKey()), subjectKeyIdentifier(issuer));
  }

  private CertificateLint(X509Certificate issuer, KeyAlgorithm algorithm, byte[] issuerSki) {
    this.issuerSubjectDer = issuer.getSubjectX500Principal().getEncoded();
    this.issuerSki = issuerSki.clone();
    this.signatureAlgorithmDer = signatureAlgorithmDer(algorithm);
    this.issuerNotBefore = issuer.getNotBefore().toInstant();
    this.issuerNotAfter = issuer.getNotAfter().toInstant();
  }

  /**
   * The AlgorithmIdentifier encodings of CA/B BR §7.1.3.2, written out as the BR lists them (not
   * computed by the encoder that the signer uses, so an encoder change is caught): ECDSA with no
   * parameters; RSA PKCS#1 v1.5 with an explicit NULL. Rotor's CAs never sign with RSASSA-PSS.
   */
  static byte[] signatureAlgorithmDer(KeyAlgorithm algorithm) {
    return HEX.parseHex(switch (algorithm) {
      case EC_P256 -> "300a06082a8648ce3d040302"; // ecdsa-with-SHA256
      case EC_P384 -> "300a06082a8648ce3d040303"; // ecdsa-with-SHA384
      case RSA_3072 -> "300d06092a864886f70d01010b0500"; // sha256WithRSAEncryption, NULL
    });
  }

  private static byte[] subjectKeyIdentifier(X509Certificate issuer) {
    byte[] ext = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ext != null) {
      return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }
    return JcaSigner.keyIdentifier(issuer.getPublicKey());
  }

  /**
   * Checks a DER TBSCertificate.
   *
   * @throws LintFailure naming every broken rule
   */
  public void check(byte[] tbsDer, Expectation expected) {
    List<Finding> findings = findings(tbsDer, expected);
    if (!findings.isEmpty()) {
      throw new LintFailure(findings);
    }
  }

  /**
   * Every broken rule of a whole DER certificate (the TBSCertificate's rules plus the outer
   * signatureAlgorithm); the signature itself is not verified here.
   */
  public List<Finding> findingsOfCertificate(byte[] certificateDer, Expectation expected) {
    ASN1Sequence cert;
    try {
      cert = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(certificateDer));
    } catch (IOException | RuntimeException e) {
      return List.of(new Finding(Rule.MALFORMED, "the certificate does not parse"));
    }
    if (cert.size() != 3) {
      return List.of(new Finding(Rule.MALFORMED, "a certificate has 3 fields, this one " + cert.size()));
    }
    List<Finding> out = new ArrayList<>();
    try {
      out.addAll(findings(cert.getObjectAt(0).toASN1Primitive().getEncoded(ASN1Encoding.DER), expected));
      byte[] outer = cert.getObjectAt(1).toASN1Primitive().getEncoded(ASN1Encoding.DER);
      if (!Arrays.equals(outer, signatureAlgorithmDer)) {
        out.add(new Finding(Rule.OUTER_SIGNATURE_ALGORITHM, "the outer signatureAlgorithm is " + HEX.formatHex(outer)
            + ", expected " + HEX.formatHex(signatureAlgorithmDer)));
      }
    } catch (IOException e) {
      out.add(new Finding(Rule.MALFORMED, "the certificate does not re-encode"));
    }
    return out;
  }

  /** Every broken rule of a DER TBSCertificate; empty when it passes. */
  public List<Finding> findings(byte[] tbsDer, Expectation expected) {
    Objects.requireNonNull(expected, "expected");
    List<Finding> out = new ArrayList<>(2);
    try {
      lint(tbsDer, expected, out);
    } catch (IOException | RuntimeException e) {
      out.add(new Finding(Rule.MALFORMED, "the TBSCertificate does not parse: " + e.getClass().getSimpleName()));
    }
    return out;
  }

  private void lint(byte[] tbsDer, Expectation expected, List<Finding> out) throws IOException {
    ASN1Sequence tbs = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(tbsDer));
    int i = 0;
    // version [0] EXPLICIT INTEGER; absent means v1.
    if (tbs.getObjectAt(0) instanceof ASN1TaggedObject v && v.getTagNo() == 0) {
      BigInteger version = ASN1Integer.getInstance(v.getExplicitBaseObject()).getValue();
      if (!version.equals(BigInteger.TWO)) {
        out.add(new Finding(Rule.VERSION, "version is " + version + " (v" + version.add(BigInteger.ONE) + "), must be 2 (v3)"));
      }
      i++;
    } else {
      out.add(new Finding(Rule.VERSION, "the version field is absent (v1), must be v3"));
    }
    if (tbs.size() < i + 6) {
      out.add(new Finding(Rule.MALFORMED, "the TBSCertificate has too few fields"));
      return;
    }
    serial(ASN1Integer.getInstance(tbs.getObjectAt(i++)), out);
    byte[] sigAlg = tbs.getObjectAt(i++).toASN1Primitive().getEncoded(ASN1Encoding.DER);
    if (!Arrays.equals(sigAlg, signatureAlgorithmDer)) {
      out.add(new Finding(Rule.SIGNATURE_ALGORITHM, "signature AlgorithmIdentifier is " + HEX.formatHex(sigAlg)
          + ", the issuer's key needs " + HEX.formatHex(signatureAlgorithmDer)));
    }
    byte[] issuer = tbs.getObjectAt(i++).toASN1Primitive().getEncoded(ASN1Encoding.DER);
    if (!Arrays.equals(issuer, issuerSubjectDer)) {
      out.add(new Finding(Rule.ISSUER_NAME, "the issuer name is not byte-for-byte the CA's subject"));
    }
    validity(ASN1Sequence.getInstance(tbs.getObjectAt(i++)), expected, out);
    X500Name subject = X500Name.getInstance(tbs.getObjectAt(i++));
    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(tbs.getObjectAt(i++));
    List<Extension> extensions = List.of();
    for (; i < tbs.size(); i++) {
      if (!(tbs.getObjectAt(i) instanceof ASN1TaggedObject tagged)) {
        out.add(new Finding(Rule.MALFORMED, "unexpected field after subjectPublicKeyInfo"));
        continue;
      }
      switch (tagged.getTagNo()) {
        case 1, 2 -> out.add(new Finding(Rule.UNIQUE_IDENTIFIERS,
            (tagged.getTagNo() == 1 ? "issuerUniqueID" : "subjectUniqueID") + " is present"));
        case 3 -> extensions = extensionList(ASN1Sequence.getInstance(tagged.getExplicitBaseObject()));
        default -> out.add(new Finding(Rule.MALFORMED, "unexpected field [" + tagged.getTagNo() + "]"));
      }
    }
    extensions(extensions, subject, spki, expected, out);
  }

  private static void serial(ASN1Integer serialField, List<Finding> out) {
    BigInteger serial = serialField.getValue();
    if (serial.signum() <= 0) {
      out.add(new Finding(Rule.SERIAL_POSITIVE, "serial " + serial + " is not positive"));
      return;
    }
    int octets = serial.toByteArray().length;
    if (octets > 20) {
      out.add(new Finding(Rule.SERIAL_LENGTH, "serial is " + octets + " octets, at most 20 allowed"));
    }
    // 128 random bits fall below 64 significant bits with probability 2^-64: a short serial means
    // the generator is broken, not unlucky.
    if (serial.bitLength() < MIN_SERIAL_BITS) {
      out.add(new Finding(Rule.SERIAL_ENTROPY, "serial has " + serial.bitLength() + " significant bits, fewer than "
          + MIN_SERIAL_BITS + " random bits could give"));
    }
  }

  private void validity(ASN1Sequence validity, Expectation expected, List<Finding> out) {
    if (validity.size() != 2) {
      out.add(new Finding(Rule.MALFORMED, "validity has " + validity.size() + " fields"));
      return;
    }
    Instant notBefore = time(validity.getObjectAt(0), "notBefore", out);
    Instant notAfter = time(validity.getObjectAt(1), "notAfter", out);
    if (notBefore == null || notAfter == null) {
      return;
    }
    if (!notBefore.isBefore(notAfter)) {
      out.add(new Finding(Rule.VALIDITY_ORDER, "notBefore " + notBefore + " is not before notAfter " + notAfter));
      return;
    }
    if (expected.profile() != null) {
      // notAfter is inclusive (RFC 5280 §4.1.2.5), so the period is notAfter - notBefore + 1 s;
      // issuance truncates to whole seconds, so the bound allows for exactly that second.
      Duration max = expected.profile().maxTtl().plus(expected.backdate());
      Duration period = Duration.between(notBefore, notAfter);
      if (period.compareTo(max) > 0) {
        out.add(new Finding(Rule.VALIDITY_PERIOD, "validity " + period.toSeconds() + " s is longer than profile "
            + expected.profile().name() + " allows (" + max.toSeconds() + " s including the backdate)"));
      }
    }
    if (notBefore.isBefore(issuerNotBefore) || notAfter.isAfter(issuerNotAfter)) {
      out.add(new Finding(Rule.VALIDITY_WITHIN_ISSUER, "validity " + notBefore + " .. " + notAfter
          + " is not within the issuer's " + issuerNotBefore + " .. " + issuerNotAfter));
    }
  }

  /** Decodes a Time by hand, recording an encoding finding and returning null if it is not DER per RFC 5280. */
  private static Instant time(ASN1Encodable field, String name, List<Finding> out) {
    ASN1Primitive p = field.toASN1Primitive();
    String s;
    boolean utc;
    if (p instanceof ASN1UTCTime t) {
      s = t.toString(); // the contents as encoded
      utc = true;
    } else if (p instanceof ASN1GeneralizedTime t) {
      s = t.getTimeString();
      utc = false;
    } else {
      out.add(new Finding(Rule.VALIDITY_ENCODING, name + " is neither UTCTime nor GeneralizedTime"));
      return null;
    }
    int digits = utc ? 12 : 14;
    boolean shape = s.length() == digits + 1 && s.charAt(digits) == 'Z';
    for (int k = 0; shape && k < digits; k++) {
      shape = s.charAt(k) >= '0' && s.charAt(k) <= '9';
    }
    if (!shape) {
      out.add(new Finding(Rule.VALIDITY_ENCODING, name + " \"" + s + "\" is not " + (utc ? "YYMMDDHHMMSSZ" : "YYYYMMDDHHMMSSZ")));
      return null;
    }
    int year;
    int k = 0;
    if (utc) {
      int yy = num(s, 0);
      year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
      k = 2;
    } else {
      year = num(s, 0) * 100 + num(s, 2);
      k = 4;
    }
    Instant instant;
    try {
      instant = LocalDateTime.of(year, num(s, k), num(s, k + 2), num(s, k + 4), num(s, k + 6), num(s, k + 8))
          .toInstant(ZoneOffset.UTC);
    } catch (DateTimeException e) {
      out.add(new Finding(Rule.VALIDITY_ENCODING, name + " \"" + s + "\" is not a valid date"));
      return null;
    }
    if (!utc && instant.isBefore(Y2050)) {
      out.add(new Finding(Rule.VALIDITY_ENCODING, name + " " + instant + " is before 2050 and must be UTCTime"));
    }
    return instant;
  }

  private static int num(String s, int at) {
    return (s.charAt(at) - '0') * 10 + (s.charAt(at + 1) - '0');
  }

  private static List<Extension> extensionList(ASN1Sequence seq) {
    List<Extension> list = new ArrayList<>(seq.size());
    for (ASN1Encodable e : seq) {
      list.add(Extension.getInstance(e));
    }
    return list;
  }

  private void extensions(List<Extension> list, X500Name subject, SubjectPublicKeyInfo spki, Expectation expected,
      List<Finding> out) {
    Map<ASN1ObjectIdentifier, Extension> byOid = new HashMap<>();
    for (Extension e : list) {
      if (byOid.putIfAbsent(e.getExtnId(), e) != null) {
        out.add(new Finding(Rule.DUPLICATE_EXTENSION, "extension " + e.getExtnId() + " appears more than once"));
      }
      if (!ALLOWED_EXTENSIONS.contains(e.getExtnId())) {
        out.add(new Finding(Rule.EXTENSION_NOT_ALLOWED, "extension " + e.getExtnId() + " is not in the leaf profile"));
      }
    }
    boolean rsa = PKCSObjectIdentifiers.rsaEncryption.equals(spki.getAlgorithm().getAlgorithm());

    Extension bc = byOid.get(Extension.basicConstraints);
    if (bc == null) {
      out.add(new Finding(Rule.BASIC_CONSTRAINTS, "basicConstraints is absent"));
    } else {
      BasicConstraints value = BasicConstraints.getInstance(bc.getParsedValue());
      if (!bc.isCritical() || value.isCA() || value.getPathLenConstraint() != null) {
        out.add(new Finding(Rule.BASIC_CONSTRAINTS, "basicConstraints must be critical with cA false and no pathLen; got critical="
            + bc.isCritical() + " cA=" + value.isCA() + " pathLen=" + value.getPathLenConstraint()));
      }
    }

    Extension ku = byOid.get(Extension.keyUsage);
    int wanted = KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0);
    if (ku == null) {
      out.add(new Finding(Rule.KEY_USAGE, "keyUsage is absent"));
    } else {
      org.bouncycastle.asn1.ASN1BitString value = org.bouncycastle.asn1.ASN1BitString.getInstance(ku.getParsedValue());
      int bits = value.getBytes().length == 0 ? 0 : value.intValue();
      if (!ku.isCritical() || bits != wanted) {
        out.add(new Finding(Rule.KEY_USAGE, "keyUsage must be critical with exactly digitalSignature"
            + (rsa ? " and keyEncipherment (RSA key)" : " (non-RSA key)") + "; got critical=" + ku.isCritical()
            + " bits=0x" + Integer.toHexString(bits)));
      }
    }

    Extension eku = byOid.get(Extension.extendedKeyUsage);
    if (eku == null) {
      out.add(new Finding(Rule.EXTENDED_KEY_USAGE, "extKeyUsage is absent"));
    } else {
      KeyPurposeId[] purposes = ExtendedKeyUsage.getInstance(eku.getParsedValue()).getUsages();
      Set<Usage> found = EnumSet.noneOf(Usage.class);
      boolean other = false;
      for (KeyPurposeId p : purposes) {
        Usage u = usageOf(p);
        if (u == null || !found.add(u)) {
          other = true;
        }
      }
      if (eku.isCritical() || other || !found.equals(expected.usages())) {
        out.add(new Finding(Rule.EXTENDED_KEY_USAGE, "extKeyUsage must be non-critical with exactly " + expected.usages()
            + "; got critical=" + eku.isCritical() + " " + Arrays.toString(purposes)));
      }
    }

    Extension ski = byOid.get(Extension.subjectKeyIdentifier);
    byte[] keyId = JcaSigner.keyIdentifier(spki);
    if (ski == null) {
      out.add(new Finding(Rule.SUBJECT_KEY_IDENTIFIER, "subjectKeyIdentifier is absent"));
    } else if (ski.isCritical()
        || !Arrays.equals(SubjectKeyIdentifier.getInstance(ski.getParsedValue()).getKeyIdentifier(), keyId)) {
      out.add(new Finding(Rule.SUBJECT_KEY_IDENTIFIER,
          "subjectKeyIdentifier must be non-critical and the SHA-1 of the subject key (RFC 5280 §4.2.1.2 method 1)"));
    }

    Extension aki = byOid.get(Extension.authorityKeyIdentifier);
    if (aki == null) {
      out.add(new Finding(Rule.AUTHORITY_KEY_IDENTIFIER, "authorityKeyIdentifier is absent"));
    } else {
      AuthorityKeyIdentifier value = AuthorityKeyIdentifier.getInstance(aki.getParsedValue());
      if (aki.isCritical() || !Arrays.equals(value.getKeyIdentifierObject() == null ? null : value.getKeyIdentifier(), issuerSki)
          || value.getAuthorityCertIssuer() != null || value.getAuthorityCertSerialNumber() != null) {
        out.add(new Finding(Rule.AUTHORITY_KEY_IDENTIFIER,
            "authorityKeyIdentifier must be non-critical with only keyIdentifier = the issuer's subjectKeyIdentifier"));
      }
    }

    subjectAndNames(byOid.get(Extension.subjectAlternativeName), subject, expected, out);
    crlDistributionPoints(byOid.get(Extension.cRLDistributionPoints), expected.crl(), out);
    authorityInfoAccess(byOid.get(Extension.authorityInfoAccess), expected, out);
  }

  private static Usage usageOf(KeyPurposeId p) {
    for (Usage u : Usage.values()) {
      if (u.keyPurposeId().equals(p)) {
        return u;
      }
    }
    return null;
  }

  private static void subjectAndNames(Extension san, X500Name subject, Expectation expected, List<Finding> out) {
    boolean emptySubject = subject.getRDNs().length == 0;
    List<String> dnsNames = new ArrayList<>();
    if (san == null) {
      out.add(new Finding(Rule.SUBJECT_ALT_NAME, "subjectAltName is absent"));
    } else {
      if (san.isCritical() != emptySubject) {
        out.add(new Finding(Rule.SUBJECT_ALT_NAME, "subjectAltName must be critical iff the subject is empty (RFC 5280 §4.2.1.6);"
            + " critical=" + san.isCritical() + ", subject " + (emptySubject ? "empty" : "present")));
      }
      GeneralName[] names = GeneralNames.getInstance(san.getParsedValue()).getNames();
      if (names.length == 0) {
        out.add(new Finding(Rule.SUBJECT_ALT_NAME, "subjectAltName has no entries"));
      }
      Profile profile = expected.profile();
      if (profile != null && names.length > profile.maxNames()) {
        out.add(new Finding(Rule.SUBJECT_ALT_NAME, names.length + " names; profile " + profile.name() + " allows "
            + profile.maxNames()));
      }
      int spiffe = 0;
      for (GeneralName n : names) {
        switch (n.getTagNo()) {
          case GeneralName.dNSName -> {
            String dns = ((ASN1String) n.getName()).getString();
            dnsNames.add(dns);
            String problem = dnsProblem(dns, profile);
            if (problem != null) {
              out.add(new Finding(Rule.SUBJECT_ALT_NAME, "dNSName \"" + shorten(dns) + "\" " + problem));
            }
          }
          case GeneralName.iPAddress -> {
            int len = ASN1OctetString.getInstance(n.getName()).getOctets().length;
            if (len != 4 && len != 16) {
              out.add(new Finding(Rule.SUBJECT_ALT_NAME, "iPAddress of " + len + " octets"));
            } else if (profile != null && !profile.nameForms().contains(NameForm.IP)) {
              out.add(new Finding(Rule.SUBJECT_ALT_NAME, "iPAddress not allowed by profile " + profile.name()));
            }
          }
          case GeneralName.uniformResourceIdentifier -> {
            String uri = ((ASN1String) n.getName()).getString();
            if (!isSpiffeId(uri)) {
              out.add(new Finding(Rule.SUBJECT_ALT_NAME, "URI \"" + shorten(uri) + "\" is not a SPIFFE ID"));
            } else {
              spiffe++;
              if (profile != null && !profile.nameForms().contains(NameForm.SPIFFE)) {
                out.add(new Finding(Rule.SUBJECT_ALT_NAME, "SPIFFE ID not allowed by profile " + profile.name()));
              }
            }
          }
          default -> out.add(new Finding(Rule.SUBJECT_ALT_NAME, "a GeneralName of kind [" + n.getTagNo()
              + "] (only dNSName, iPAddress and SPIFFE URIs are issued)"));
        }
      }
      if (profile != null && profile.requireSpiffe() && spiffe != 1) {
        out.add(new Finding(Rule.SUBJECT_ALT_NAME, "profile " + profile.name() + " needs exactly one SPIFFE URI, found " + spiffe));
      }
    }
    if (!emptySubject) {
      RDN[] rdns = subject.getRDNs();
      AttributeTypeAndValue first = rdns[0].getFirst();
      if (rdns.length != 1 || rdns[0].size() != 1 || !BCStyle.CN.equals(first.getType())) {
        out.add(new Finding(Rule.SUBJECT, "the subject must be empty or one commonName"));
      } else {
        String cn = ((ASN1String) first.getValue()).getString();
        if (!dnsNames.contains(cn)) {
          out.add(new Finding(Rule.SUBJECT, "commonName \"" + shorten(cn) + "\" is not one of the SAN dNSNames (BR §7.1.4.3)"));
        }
      }
    }
  }

  private static String dnsProblem(String dns, Profile profile) {
    if (profile != null && !profile.nameForms().contains(NameForm.DNS)) {
      return "is not allowed by profile " + profile.name();
    }
    String base = dns;
    if (dns.startsWith("*.")) {
      if (profile != null && !profile.allowsWildcardDns()) {
        return "is a wildcard, which profile " + profile.name() + " does not allow";
      }
      base = dns.substring(2);
    }
    return NamePolicy.dnsSyntaxProblem(base);
  }

  private static boolean isSpiffeId(String uri) {
    try {
      SpiffeId.parse(uri);
      return true;
    } catch (PkiException | RuntimeException e) {
      return false;
    }
  }

  private static void crlDistributionPoints(Extension ext, URI crl, List<Finding> out) {
    if (ext == null) {
      if (crl != null) {
        out.add(new Finding(Rule.CRL_DISTRIBUTION_POINTS, "cRLDistributionPoints is absent, expected " + crl));
      }
      return;
    }
    DistributionPoint[] points = CRLDistPoint.getInstance(ext.getParsedValue()).getDistributionPoints();
    boolean ok = !ext.isCritical() && crl != null && points.length == 1
        && points[0].getReasons() == null && points[0].getCRLIssuer() == null
        && points[0].getDistributionPoint() != null
        && points[0].getDistributionPoint().getType() == DistributionPointName.FULL_NAME
        && isOnlyUri(GeneralNames.getInstance(points[0].getDistributionPoint().getName()).getNames(), crl);
    if (!ok) {
      out.add(new Finding(Rule.CRL_DISTRIBUTION_POINTS, "cRLDistributionPoints must be non-critical with the one full-name URI "
          + (crl == null ? "(none configured)" : crl)));
    }
  }

  private static void authorityInfoAccess(Extension ext, Expectation expected, List<Finding> out) {
    if (ext == null) {
      if (expected.ocsp() != null || expected.caIssuers() != null) {
        out.add(new Finding(Rule.AUTHORITY_INFO_ACCESS, "authorityInformationAccess is absent"));
      }
      return;
    }
    AccessDescription[] access = AuthorityInformationAccess.getInstance(ext.getParsedValue()).getAccessDescriptions();
    URI ocsp = null;
    URI caIssuers = null;
    boolean ok = !ext.isCritical();
    for (AccessDescription d : access) {
      URI uri = uriOf(d.getAccessLocation());
      if (X509ObjectIdentifiers.id_ad_ocsp.equals(d.getAccessMethod()) && ocsp == null) {
        ocsp = uri;
      } else if (X509ObjectIdentifiers.id_ad_caIssuers.equals(d.getAccessMethod()) && caIssuers == null) {
        caIssuers = uri;
      } else {
        ok = false;
      }
    }
    if (!ok || !Objects.equals(ocsp, expected.ocsp()) || !Objects.equals(caIssuers, expected.caIssuers())) {
      out.add(new Finding(Rule.AUTHORITY_INFO_ACCESS, "authorityInformationAccess must be non-critical with OCSP "
          + expected.ocsp() + " and caIssuers " + expected.caIssuers() + " only; found OCSP " + ocsp + ", caIssuers " + caIssuers));
    }
  }

  private static boolean isOnlyUri(GeneralName[] names, URI expected) {
    return names.length == 1 && expected.equals(uriOf(names[0]));
  }

  private static URI uriOf(GeneralName name) {
    if (name.getTagNo() != GeneralName.uniformResourceIdentifier) {
      return null;
    }
    try {
      return new URI(((ASN1String) name.getName()).getString());
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static String shorten(String s) {
    return s.length() > 128 ? s.substring(0, 128) + "..." : s;
  }
}
