package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.CertificateLint.Expectation;
import dev.rotor.pki.CertificateLint.Finding;
import dev.rotor.pki.CertificateLint.LintFailure;
import dev.rotor.pki.CertificateLint.Rule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
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
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lint gate, rule by rule: a valid certificate of every profile (and CA algorithm) passes, and
 * one deliberately broken TBSCertificate per rule (built field by field with BouncyCastle) fails
 * with that rule.
 */
class CertificateLintTest {

  private static final URI CRL = URI.create("http://ca.example.com/crl");
  private static final URI OCSP = URI.create("http://ca.example.com/ocsp");
  private static final URI CA_ISSUERS = URI.create("http://ca.example.com/ca/issuer.crt");
  private static final Duration BACKDATE = Duration.ofSeconds(30);
  private static final String WORKLOAD_ID = "spiffe://example.org/ns/default/sa/web";

  private static final TestCa.Hierarchy EC = TestCa.of(KeyAlgorithm.EC_P256);

  /** A TBSCertificate as a list of fields that a test may change before encoding. */
  static final class Tbs {
    ASN1Encodable version;
    ASN1Encodable serial;
    ASN1Encodable signature;
    ASN1Encodable issuer;
    ASN1Encodable notBefore;
    ASN1Encodable notAfter;
    ASN1Encodable subject;
    ASN1Encodable spki;
    final List<ASN1Encodable> uniqueIds = new ArrayList<>();
    final List<Extension> extensions = new ArrayList<>();

    /** Takes a signed certificate's TBSCertificate apart. */
    static Tbs of(byte[] certificateDer) {
      ASN1Sequence tbs = ASN1Sequence.getInstance(ASN1Sequence.getInstance(parse(certificateDer)).getObjectAt(0));
      Tbs t = new Tbs();
      t.version = tbs.getObjectAt(0);
      t.serial = tbs.getObjectAt(1);
      t.signature = tbs.getObjectAt(2);
      t.issuer = tbs.getObjectAt(3);
      ASN1Sequence validity = ASN1Sequence.getInstance(tbs.getObjectAt(4));
      t.notBefore = validity.getObjectAt(0);
      t.notAfter = validity.getObjectAt(1);
      t.subject = tbs.getObjectAt(5);
      t.spki = tbs.getObjectAt(6);
      ASN1Sequence exts = ASN1Sequence.getInstance(((org.bouncycastle.asn1.ASN1TaggedObject) tbs.getObjectAt(7))
          .getExplicitBaseObject());
      for (ASN1Encodable e : exts) {
        t.extensions.add(Extension.getInstance(e));
      }
      return t;
    }

    byte[] der() {
      ASN1EncodableVector v = new ASN1EncodableVector();
      if (version != null) {
        v.add(version);
      }
      v.add(serial);
      v.add(signature);
      v.add(issuer);
      v.add(new DERSequence(new ASN1Encodable[] {notBefore, notAfter}));
      v.add(subject);
      v.add(spki);
      uniqueIds.forEach(v::add);
      v.add(new DERTaggedObject(true, 3, new DERSequence(extensions.toArray(new ASN1Encodable[0]))));
      try {
        return new DERSequence(v).getEncoded(ASN1Encoding.DER);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void replace(ASN1ObjectIdentifier oid, Extension replacement) {
      extensions.replaceAll(e -> e.getExtnId().equals(oid) ? replacement : e);
    }

    void remove(ASN1ObjectIdentifier oid) {
      extensions.removeIf(e -> e.getExtnId().equals(oid));
    }

    Extension get(ASN1ObjectIdentifier oid) {
      return extensions.stream().filter(e -> e.getExtnId().equals(oid)).findFirst().orElseThrow();
    }
  }

  private static ASN1Primitive parse(byte[] der) {
    try {
      return ASN1Primitive.fromByteArray(der);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Extension ext(ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) {
    try {
      return new Extension(oid, critical, value.toASN1Primitive().getEncoded(ASN1Encoding.DER));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SubjectNames namesFor(Profile p) throws Exception {
    return switch (p.name()) {
      case "workload" -> SubjectNames.of(List.of("web.default.svc.cluster.local"), List.of(), List.of(URI.create(WORKLOAD_ID)));
      case "agent" -> SubjectNames.of(List.of(), List.of(), List.of(URI.create("spiffe://example.org/agent/node-1")));
      case "admin" -> SubjectNames.of(List.of(), List.of(), List.of(URI.create("spiffe://example.org/admin/alice")));
      case "acme" -> SubjectNames.of(List.of("www.example.com", "*.example.com"), List.of(InetAddress.getByName("192.0.2.7")),
          List.of());
      default -> throw new IllegalArgumentException(p.name());
    };
  }

  /** A valid certificate under {@code p}, as the issuance door builds it (notBefore backdated 30 s). */
  private static byte[] valid(TestCa.Hierarchy h, Profile p, KeyPair subject, boolean withCn) throws Exception {
    SubjectNames names = namesFor(p);
    X500Name subjectName = withCn && !names.dns().isEmpty() ? new X500Name("CN=" + names.dns().get(0)) : null;
    Instant now = TestCa.NOW;
    LeafTemplate t = new LeafTemplate(Serials.random(), subject.getPublic(), subjectName, names, now.minus(BACKDATE),
        now.plus(p.maxTtl()), p.usages(), CRL, OCSP, CA_ISSUERS);
    return new CertificateSigner(h.ca(), CryptoProviders.signing()).sign(t, expect(p));
  }

  private static Expectation expect(Profile p) {
    return Expectation.of(p, BACKDATE, CRL, OCSP, CA_ISSUERS);
  }

  static Stream<Arguments> validCertificates() {
    List<Arguments> out = new ArrayList<>();
    for (KeyAlgorithm alg : KeyAlgorithm.values()) {
      for (Profile p : Profile.defaults().values()) {
        out.add(Arguments.of("ok/" + alg.configName() + "/" + p.name() + "/p256", alg, p, TestKeys.p256(), false));
      }
    }
    out.add(Arguments.of("ok/ec-p256/acme/rsa-2048-with-cn", KeyAlgorithm.EC_P256, Profile.acme(), TestKeys.rsa(2048), true));
    out.add(Arguments.of("ok/ec-p256/workload/ed25519-with-cn", KeyAlgorithm.EC_P256, Profile.workload(), TestKeys.ed25519(), true));
    out.add(Arguments.of("ok/ec-p384/acme/p384", KeyAlgorithm.EC_P384, Profile.acme(), TestKeys.p384(), false));
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validCertificates")
  void aValidCertificateOfEveryProfilePasses(String name, KeyAlgorithm alg, Profile p, KeyPair subject, boolean withCn)
      throws Exception {
    TestCa.Hierarchy h = TestCa.of(alg);
    byte[] der = valid(h, p, subject, withCn);
    CertificateLint lint = new CertificateLint(h.intermediate());
    assertThat(lint.findingsOfCertificate(der, expect(p))).isEmpty();
    Pem.parseCertificate(der).verify(h.intermediate().getPublicKey());
  }

  private static Tbs workloadTbs() {
    try {
      return Tbs.of(valid(EC, Profile.workload(), TestKeys.p256(), false));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Tbs acmeTbs(KeyPair subject) {
    try {
      return Tbs.of(valid(EC, Profile.acme(), subject, true));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Extension san(boolean critical, GeneralName... names) {
    return ext(Extension.subjectAlternativeName, critical, new GeneralNames(names));
  }

  private static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  private static GeneralName uri(String uri) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
  }

  private static Extension eku(boolean critical, KeyPurposeId... purposes) {
    return ext(Extension.extendedKeyUsage, critical, new ExtendedKeyUsage(purposes));
  }

  private static Extension aia(URI ocsp, URI caIssuers) {
    return ext(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(new AccessDescription[] {
        new AccessDescription(X509ObjectIdentifiers.id_ad_ocsp, uri(ocsp.toString())),
        new AccessDescription(X509ObjectIdentifiers.id_ad_caIssuers, uri(caIssuers.toString()))}));
  }

  private static Extension crlDp(boolean critical, URI url) {
    return ext(Extension.cRLDistributionPoints, critical, new CRLDistPoint(new DistributionPoint[] {
        new DistributionPoint(new DistributionPointName(new GeneralNames(uri(url.toString()))), null, null)}));
  }

  private static Arguments broken(String name, Rule rule, Consumer<Tbs> change) {
    return Arguments.of(name, rule, Profile.workload(), (java.util.function.Supplier<Tbs>) CertificateLintTest::workloadTbs, change);
  }

  private static Arguments brokenAcme(String name, Rule rule, Consumer<Tbs> change) {
    return Arguments.of(name, rule, Profile.acme(), (java.util.function.Supplier<Tbs>) () -> acmeTbs(TestKeys.p256()), change);
  }

  static Stream<Arguments> brokenCertificates() {
    Instant nb = TestCa.NOW.minus(BACKDATE);
    return Stream.of(
        broken("fail/version-absent", Rule.VERSION, t -> t.version = null),
        broken("fail/version-v2", Rule.VERSION, t -> t.version = new DERTaggedObject(true, 0, new ASN1Integer(1))),
        broken("fail/serial-zero", Rule.SERIAL_POSITIVE, t -> t.serial = new ASN1Integer(0)),
        broken("fail/serial-negative", Rule.SERIAL_POSITIVE,
            t -> t.serial = new ASN1Integer(Serials.random().negate())),
        broken("fail/serial-21-octets", Rule.SERIAL_LENGTH,
            t -> t.serial = new ASN1Integer(BigInteger.ONE.shiftLeft(160).add(Serials.random()))),
        broken("fail/serial-short", Rule.SERIAL_ENTROPY, t -> t.serial = new ASN1Integer(0x1234_5678L)),
        broken("fail/signature-wrong-hash", Rule.SIGNATURE_ALGORITHM,
            t -> t.signature = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA384)),
        broken("fail/signature-ecdsa-with-null", Rule.SIGNATURE_ALGORITHM,
            t -> t.signature = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256, DERNull.INSTANCE)),
        broken("fail/issuer-other-name", Rule.ISSUER_NAME, t -> t.issuer = new X500Name("CN=Someone Else")),
        broken("fail/issuer-re-encoded", Rule.ISSUER_NAME, t -> t.issuer = reEncodedAsUtf8(t.issuer)),
        broken("fail/validity-generalized-before-2050", Rule.VALIDITY_ENCODING,
            t -> t.notBefore = new ASN1GeneralizedTime("20300601115930Z")),
        broken("fail/validity-utc-without-seconds", Rule.VALIDITY_ENCODING,
            t -> t.notBefore = utcTimeRaw("3006011159Z")),
        broken("fail/validity-utc-with-offset", Rule.VALIDITY_ENCODING,
            t -> t.notBefore = utcTimeRaw("300601115930+0100")),
        broken("fail/validity-reversed", Rule.VALIDITY_ORDER, t -> {
          ASN1Encodable a = t.notBefore;
          t.notBefore = t.notAfter;
          t.notAfter = a;
        }),
        broken("fail/validity-longer-than-profile", Rule.VALIDITY_PERIOD,
            t -> t.notAfter = DerTime.of(nb.plus(Duration.ofMinutes(15)).plusSeconds(31))),
        broken("fail/validity-beyond-issuer", Rule.VALIDITY_WITHIN_ISSUER,
            t -> t.notBefore = DerTime.of(TestCa.INTERMEDIATE_NOT_AFTER.minusSeconds(60)),
            // keeps order and period sane: only the issuer bound is crossed
            TestCa.INTERMEDIATE_NOT_AFTER.plusSeconds(60)),
        broken("fail/subject-unique-id", Rule.UNIQUE_IDENTIFIERS,
            t -> t.uniqueIds.add(new DERTaggedObject(false, 2, new DERBitString(new byte[] {1})))),
        brokenAcme("fail/subject-cn-not-in-san", Rule.SUBJECT, t -> t.subject = new X500Name("CN=other.example.com")),
        brokenAcme("fail/subject-organization", Rule.SUBJECT, t -> t.subject = new X500Name("CN=www.example.com,O=Evil")),
        broken("fail/duplicate-extension", Rule.DUPLICATE_EXTENSION, t -> t.extensions.add(t.get(Extension.keyUsage))),
        broken("fail/extension-not-allowed", Rule.EXTENSION_NOT_ALLOWED,
            t -> t.extensions.add(ext(new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"), false, DERNull.INSTANCE))),
        broken("fail/key-usage-absent", Rule.KEY_USAGE, t -> t.remove(Extension.keyUsage)),
        broken("fail/key-usage-not-critical", Rule.KEY_USAGE,
            t -> t.replace(Extension.keyUsage, ext(Extension.keyUsage, false, new KeyUsage(KeyUsage.digitalSignature)))),
        broken("fail/key-usage-key-encipherment-for-ec", Rule.KEY_USAGE, t -> t.replace(Extension.keyUsage,
            ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment)))),
        broken("fail/key-usage-cert-sign", Rule.KEY_USAGE, t -> t.replace(Extension.keyUsage,
            ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign)))),
        brokenAcme("fail/key-usage-rsa-without-key-encipherment", Rule.KEY_USAGE, t -> {
          Tbs rsa = acmeTbs(TestKeys.rsa(2048));
          t.spki = rsa.spki;
          t.replace(Extension.subjectKeyIdentifier, rsa.get(Extension.subjectKeyIdentifier));
          // keeps the EC certificate's digitalSignature-only keyUsage
        }),
        broken("fail/eku-absent", Rule.EXTENDED_KEY_USAGE, t -> t.remove(Extension.extendedKeyUsage)),
        broken("fail/eku-missing-client-auth", Rule.EXTENDED_KEY_USAGE,
            t -> t.replace(Extension.extendedKeyUsage, eku(false, KeyPurposeId.id_kp_serverAuth))),
        broken("fail/eku-extra-code-signing", Rule.EXTENDED_KEY_USAGE, t -> t.replace(Extension.extendedKeyUsage,
            eku(false, KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_codeSigning))),
        broken("fail/eku-critical", Rule.EXTENDED_KEY_USAGE, t -> t.replace(Extension.extendedKeyUsage,
            eku(true, KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth))),
        broken("fail/basic-constraints-absent", Rule.BASIC_CONSTRAINTS, t -> t.remove(Extension.basicConstraints)),
        broken("fail/basic-constraints-ca", Rule.BASIC_CONSTRAINTS, t -> t.replace(Extension.basicConstraints,
            ext(Extension.basicConstraints, true, new BasicConstraints(true)))),
        broken("fail/basic-constraints-not-critical", Rule.BASIC_CONSTRAINTS, t -> t.replace(Extension.basicConstraints,
            ext(Extension.basicConstraints, false, new BasicConstraints(false)))),
        broken("fail/san-absent", Rule.SUBJECT_ALT_NAME, t -> t.remove(Extension.subjectAlternativeName)),
        broken("fail/san-not-critical-with-empty-subject", Rule.SUBJECT_ALT_NAME, t -> t.replace(
            Extension.subjectAlternativeName, san(false, uri(WORKLOAD_ID)))),
        brokenAcme("fail/san-critical-with-subject", Rule.SUBJECT_ALT_NAME,
            t -> t.replace(Extension.subjectAlternativeName, san(true, dns("www.example.com")))),
        broken("fail/san-empty", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            ext(Extension.subjectAlternativeName, true, new DERSequence()))),
        broken("fail/san-email", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, uri(WORKLOAD_ID), new GeneralName(GeneralName.rfc822Name, "a@example.com")))),
        broken("fail/san-http-uri", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, uri(WORKLOAD_ID), uri("https://example.com/")))),
        broken("fail/san-two-spiffe-ids", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, uri(WORKLOAD_ID), uri("spiffe://example.org/ns/default/sa/other")))),
        broken("fail/san-no-spiffe-id-in-workload", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, dns("web.default.svc.cluster.local")))),
        broken("fail/san-wildcard-in-workload", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, uri(WORKLOAD_ID), dns("*.default.svc.cluster.local")))),
        broken("fail/san-upper-case-dns", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, uri(WORKLOAD_ID), dns("Web.default.svc.cluster.local")))),
        broken("fail/san-ip-in-workload", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(true, uri(WORKLOAD_ID), new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[] {10, 0, 0, 1}))))),
        brokenAcme("fail/san-ip-of-five-octets", Rule.SUBJECT_ALT_NAME, t -> t.replace(Extension.subjectAlternativeName,
            san(false, dns("www.example.com"), new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[5]))))),
        brokenAcme("fail/san-101-names", Rule.SUBJECT_ALT_NAME, t -> {
          GeneralName[] names = new GeneralName[101];
          names[0] = dns("www.example.com");
          for (int i = 1; i < names.length; i++) {
            names[i] = dns("n" + i + ".example.com");
          }
          t.replace(Extension.subjectAlternativeName, san(false, names));
        }),
        broken("fail/aki-absent", Rule.AUTHORITY_KEY_IDENTIFIER, t -> t.remove(Extension.authorityKeyIdentifier)),
        broken("fail/aki-other-key", Rule.AUTHORITY_KEY_IDENTIFIER, t -> t.replace(Extension.authorityKeyIdentifier,
            ext(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(new byte[20])))),
        broken("fail/aki-with-issuer-and-serial", Rule.AUTHORITY_KEY_IDENTIFIER, t -> t.replace(
            Extension.authorityKeyIdentifier, ext(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(
                EC.ca().subjectKeyIdentifier(), new GeneralNames(new GeneralName(new X500Name("CN=Root"))), BigInteger.TEN)))),
        broken("fail/ski-absent", Rule.SUBJECT_KEY_IDENTIFIER, t -> t.remove(Extension.subjectKeyIdentifier)),
        broken("fail/ski-of-another-key", Rule.SUBJECT_KEY_IDENTIFIER, t -> t.replace(Extension.subjectKeyIdentifier,
            ext(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(new byte[20])))),
        broken("fail/crl-dp-absent", Rule.CRL_DISTRIBUTION_POINTS, t -> t.remove(Extension.cRLDistributionPoints)),
        broken("fail/crl-dp-other-url", Rule.CRL_DISTRIBUTION_POINTS,
            t -> t.replace(Extension.cRLDistributionPoints, crlDp(false, URI.create("http://evil.example/crl")))),
        broken("fail/crl-dp-critical", Rule.CRL_DISTRIBUTION_POINTS,
            t -> t.replace(Extension.cRLDistributionPoints, crlDp(true, CRL))),
        broken("fail/aia-absent", Rule.AUTHORITY_INFO_ACCESS, t -> t.remove(Extension.authorityInfoAccess)),
        broken("fail/aia-other-ocsp", Rule.AUTHORITY_INFO_ACCESS,
            t -> t.replace(Extension.authorityInfoAccess, aia(URI.create("http://evil.example/ocsp"), CA_ISSUERS))));
  }

  /** The same, with a second change to notAfter (for the issuer-bound case). */
  private static Arguments broken(String name, Rule rule, Consumer<Tbs> change, Instant notAfter) {
    return broken(name, rule, change.andThen(t -> t.notAfter = DerTime.of(notAfter)));
  }

  private static ASN1Encodable reEncodedAsUtf8(ASN1Encodable issuer) {
    // Same attribute types and values, but every value as UTF8String: equal as names, not as bytes.
    X500Name name = X500Name.getInstance(issuer);
    org.bouncycastle.asn1.x500.X500NameBuilder b = new org.bouncycastle.asn1.x500.X500NameBuilder();
    for (org.bouncycastle.asn1.x500.RDN rdn : name.getRDNs()) {
      org.bouncycastle.asn1.x500.AttributeTypeAndValue atv = rdn.getFirst();
      b.addRDN(atv.getType(), new DERUTF8String(atv.getValue().toString()));
    }
    X500Name utf8 = b.build();
    try {
      if (Arrays.equals(utf8.getEncoded(), name.getEncoded())) {
        // Already UTF8String: use PrintableString instead.
        org.bouncycastle.asn1.x500.X500NameBuilder p = new org.bouncycastle.asn1.x500.X500NameBuilder();
        for (org.bouncycastle.asn1.x500.RDN rdn : name.getRDNs()) {
          p.addRDN(rdn.getFirst().getType(), new org.bouncycastle.asn1.DERPrintableString(rdn.getFirst().getValue().toString()));
        }
        return p.build();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return utf8;
  }

  /** A UTCTime with exactly these contents, whatever BouncyCastle's constructors would accept. */
  private static ASN1Encodable utcTimeRaw(String contents) {
    byte[] body = contents.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] der = new byte[body.length + 2];
    der[0] = 0x17;
    der[1] = (byte) body.length;
    System.arraycopy(body, 0, der, 2, body.length);
    return ASN1UTCTime.getInstance(parse(der));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenCertificates")
  void eachBrokenRuleIsFound(String name, Rule rule, Profile profile, java.util.function.Supplier<Tbs> base,
      Consumer<Tbs> change) {
    Tbs tbs = base.get();
    CertificateLint lint = new CertificateLint(EC.ca());
    assertThat(lint.findings(tbs.der(), expect(profile))).as("the unchanged certificate").isEmpty();

    change.accept(tbs);
    List<Finding> findings = lint.findings(tbs.der(), expect(profile));
    assertThat(findings).extracting(Finding::rule).contains(rule);
    assertThatThrownBy(() -> lint.check(tbs.der(), expect(profile)))
        .isInstanceOf(LintFailure.class)
        .hasMessageContaining(rule.id());
  }

  @Test
  void garbageIsMalformed() {
    CertificateLint lint = new CertificateLint(EC.ca());
    assertThat(lint.findings(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, expect(Profile.workload())))
        .extracting(Finding::rule).contains(Rule.MALFORMED);
    assertThat(lint.findings(HexFormat.of().parseHex("3080"), expect(Profile.workload())))
        .extracting(Finding::rule).containsExactly(Rule.MALFORMED);
  }

  @Test
  void theOuterSignatureAlgorithmMustMatchTheInnerOne() throws Exception {
    byte[] der = valid(EC, Profile.workload(), TestKeys.p256(), false);
    ASN1Sequence cert = ASN1Sequence.getInstance(parse(der));
    byte[] swapped = new DERSequence(new ASN1Encodable[] {cert.getObjectAt(0),
        new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA384), cert.getObjectAt(2)}).getEncoded(ASN1Encoding.DER);
    assertThat(new CertificateLint(EC.intermediate()).findingsOfCertificate(swapped, expect(Profile.workload())))
        .extracting(Finding::rule).containsExactly(Rule.OUTER_SIGNATURE_ALGORITHM);
  }

  @Test
  void theRsaCaNeedsTheExactPkcs1ParametersNull() throws Exception {
    TestCa.Hierarchy rsa = TestCa.of(KeyAlgorithm.RSA_3072);
    Tbs tbs = Tbs.of(valid(rsa, Profile.workload(), TestKeys.p256(), false));
    CertificateLint lint = new CertificateLint(rsa.ca());
    assertThat(lint.findings(tbs.der(), expect(Profile.workload()))).isEmpty();
    tbs.signature = new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.sha256WithRSAEncryption);
    assertThat(lint.findings(tbs.der(), expect(Profile.workload()))).extracting(Finding::rule)
        .containsExactly(Rule.SIGNATURE_ALGORITHM);
  }

  @Test
  void theSignerSignsNothingThatFailsTheLint() throws Exception {
    // A workload certificate checked against the admin profile: wrong usages and names.
    SubjectNames names = namesFor(Profile.workload());
    LeafTemplate t = new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null, names,
        TestCa.NOW.minus(BACKDATE), TestCa.NOW.plus(Duration.ofMinutes(15)), Profile.workload().usages(), CRL, OCSP, CA_ISSUERS);
    CertificateSigner signer = new CertificateSigner(EC.ca(), CryptoProviders.signing());
    assertThatThrownBy(() -> signer.sign(t, expect(Profile.admin())))
        .isInstanceOfSatisfying(LintFailure.class, e -> assertThat(e.ruleIds())
            .contains(Rule.EXTENDED_KEY_USAGE.id(), Rule.SUBJECT_ALT_NAME.id()));
    assertThat(signer.sign(t, expect(Profile.workload()))).isNotEmpty();
  }
}
