package dev.rotor.pki;

import static dev.rotor.pki.CaBuilderTest.extension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.SoftAssertions;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CertificateSignerTest {

  private static final URI CRL = URI.create("http://ca.example.com/crl/1.crl");
  private static final URI OCSP = URI.create("http://ca.example.com/ocsp");
  private static final URI CA_ISSUERS = URI.create("http://ca.example.com/ca.crt");
  private static final String SPIFFE = "spiffe://example.org/ns/default/sa/web";

  private final TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
  private final CertificateSigner signer = new CertificateSigner(h.ca(), CryptoProviders.signing());

  private static LeafTemplate template(PublicKey key, X500Name subject, SubjectNames sans) {
    return new LeafTemplate(Serials.random(), key, subject, sans, TestCa.NOW.minusSeconds(60),
        TestCa.NOW.plus(Duration.ofMinutes(15)), EnumSet.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH), CRL, OCSP, CA_ISSUERS);
  }

  private static SubjectNames names() throws Exception {
    return SubjectNames.of(List.of("web.default.svc.cluster.local"), List.of(InetAddress.getByName("10.1.2.3")),
        List.of(URI.create(SPIFFE)));
  }

  @Test
  void leafHasEveryFieldOfTheProfile() throws Exception {
    PublicKey key = TestKeys.p256().getPublic();
    LeafTemplate t = template(key, new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), names());
    X509Certificate leaf = Pem.parseCertificate(signer.sign(t));

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(leaf.getVersion()).isEqualTo(3);
    soft.assertThat(leaf.getSerialNumber()).isEqualTo(t.serial());
    soft.assertThat(leaf.getIssuerX500Principal().getEncoded()).isEqualTo(h.intermediate().getSubjectX500Principal().getEncoded());
    soft.assertThat(leaf.getSubjectX500Principal().getEncoded()).isEqualTo(new byte[] {0x30, 0x00});
    soft.assertThat(leaf.getNotBefore()).isEqualTo(Date.from(TestCa.NOW.minusSeconds(60)));
    soft.assertThat(leaf.getNotAfter()).isEqualTo(Date.from(TestCa.NOW.plus(Duration.ofMinutes(15))));
    soft.assertThat(leaf.getPublicKey().getEncoded()).isEqualTo(key.getEncoded());

    soft.assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    soft.assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId());
    soft.assertThat(BasicConstraints.getInstance(extension(leaf, Extension.basicConstraints)).isCA()).isFalse();

    soft.assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.keyUsage.getId());
    soft.assertThat(leaf.getKeyUsage()).containsExactly(true, false, false, false, false, false, false, false, false);

    soft.assertThat(leaf.getNonCriticalExtensionOIDs()).contains(Extension.extendedKeyUsage.getId());
    soft.assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");

    byte[] keyBits = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
    soft.assertThat(SubjectKeyIdentifier.getInstance(extension(leaf, Extension.subjectKeyIdentifier)).getKeyIdentifier())
        .isEqualTo(MessageDigest.getInstance("SHA-1").digest(keyBits));
    soft.assertThat(AuthorityKeyIdentifier.getInstance(extension(leaf, Extension.authorityKeyIdentifier)).getKeyIdentifier())
        .isEqualTo(h.ca().subjectKeyIdentifier());

    // Empty subject: SAN critical (RFC 5280 §4.2.1.6).
    soft.assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.subjectAlternativeName.getId());
    soft.assertThat(leaf.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
        List.of(2, "web.default.svc.cluster.local"), List.of(7, "10.1.2.3"), List.of(6, SPIFFE));

    CRLDistPoint crlDp = CRLDistPoint.getInstance(extension(leaf, Extension.cRLDistributionPoints));
    DistributionPoint[] points = crlDp.getDistributionPoints();
    soft.assertThat(points).hasSize(1);
    soft.assertThat(GeneralNames.getInstance(points[0].getDistributionPoint().getName()).getNames())
        .containsExactly(new GeneralName(GeneralName.uniformResourceIdentifier, CRL.toString()));

    AccessDescription[] aia = AuthorityInformationAccess.getInstance(extension(leaf, Extension.authorityInfoAccess))
        .getAccessDescriptions();
    soft.assertThat(aia).hasSize(2);
    soft.assertThat(aia[0].getAccessMethod()).isEqualTo(X509ObjectIdentifiers.id_ad_ocsp);
    soft.assertThat(aia[0].getAccessLocation()).isEqualTo(new GeneralName(GeneralName.uniformResourceIdentifier, OCSP.toString()));
    soft.assertThat(aia[1].getAccessMethod()).isEqualTo(X509ObjectIdentifiers.id_ad_caIssuers);
    soft.assertThat(aia[1].getAccessLocation())
        .isEqualTo(new GeneralName(GeneralName.uniformResourceIdentifier, CA_ISSUERS.toString()));

    soft.assertThat(leaf.getSigAlgOID()).isEqualTo("1.2.840.10045.4.3.2");
    soft.assertThat(leaf.getSigAlgName()).isEqualToIgnoringCase("SHA256withECDSA");
    soft.assertThat(leaf.getNonCriticalExtensionOIDs()).doesNotContain(Extension.nameConstraints.getId());
    soft.assertAll();

    leaf.verify(h.intermediate().getPublicKey());
  }

  @Test
  void sanIsNotCriticalWhenTheSubjectIsSet() throws Exception {
    X509Certificate leaf = Pem.parseCertificate(signer.sign(template(TestKeys.p256().getPublic(),
        new X500Name("CN=web.default.svc.cluster.local"), names())));
    assertThat(leaf.getNonCriticalExtensionOIDs()).contains(Extension.subjectAlternativeName.getId());
    assertThat(leaf.getCriticalExtensionOIDs()).doesNotContain(Extension.subjectAlternativeName.getId());
    assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=web.default.svc.cluster.local");
  }

  @Test
  void rsaKeysAlsoGetKeyEncipherment() throws Exception {
    X509Certificate leaf = Pem.parseCertificate(signer.sign(template(TestKeys.rsa(2048).getPublic(), null, names())));
    assertThat(leaf.getKeyUsage()).containsExactly(true, false, true, false, false, false, false, false, false);
  }

  @Test
  void ed25519KeysAreIssuedForToo() throws Exception {
    X509Certificate leaf = Pem.parseCertificate(signer.sign(template(TestKeys.ed25519().getPublic(), null, names())));
    assertThat(leaf.getPublicKey().getAlgorithm()).isIn("Ed25519", "EdDSA");
    assertThat(leaf.getKeyUsage()[0]).isTrue();
    assertThat(leaf.getKeyUsage()[2]).isFalse();
    validate(leaf, h);
  }

  @Test
  void urlExtensionsAreOmittedWhenNull() throws Exception {
    LeafTemplate t = new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null, names(), TestCa.NOW,
        TestCa.NOW.plusSeconds(600), Set.of(Usage.CLIENT_AUTH), null, null, null);
    X509Certificate leaf = Pem.parseCertificate(signer.sign(t));
    assertThat(leaf.getExtensionValue(Extension.cRLDistributionPoints.getId())).isNull();
    assertThat(leaf.getExtensionValue(Extension.authorityInfoAccess.getId())).isNull();
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");

    LeafTemplate ocspOnly = new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null, names(), TestCa.NOW,
        TestCa.NOW.plusSeconds(600), Set.of(Usage.SERVER_AUTH), null, OCSP, null);
    X509Certificate leaf2 = Pem.parseCertificate(signer.sign(ocspOnly));
    assertThat(AuthorityInformationAccess.getInstance(extension(leaf2, Extension.authorityInfoAccess)).getAccessDescriptions())
        .hasSize(1);
    // And back to the full set: the cached extensions follow the template.
    X509Certificate leaf3 = Pem.parseCertificate(signer.sign(template(TestKeys.p256().getPublic(), null, names())));
    assertThat(leaf3.getExtensionValue(Extension.cRLDistributionPoints.getId())).isNotNull();
  }

  @ParameterizedTest(name = "ok/{0}")
  @EnumSource(KeyAlgorithm.class)
  void chainValidatesWithPkix(KeyAlgorithm alg) throws Exception {
    TestCa.Hierarchy hierarchy = TestCa.of(alg);
    CertificateSigner s = new CertificateSigner(hierarchy.ca(), CryptoProviders.signing());
    X509Certificate leaf = Pem.parseCertificate(s.sign(template(TestKeys.p256().getPublic(), null, names())));
    assertThat(leaf.getSigAlgName()).isEqualToIgnoringCase(alg.signatureAlgorithm());
    validate(leaf, hierarchy);
  }

  @Test
  void ipAddressesAreNotConstrained() throws Exception {
    SubjectNames sans = SubjectNames.of(List.of(), List.of(InetAddress.getByName("203.0.113.9")), List.of());
    validate(Pem.parseCertificate(signer.sign(template(TestKeys.p256().getPublic(), null, sans))), h);
  }

  @Test
  void nameConstraintsAreEnforcedByPkix() throws Exception {
    // The CA signs whatever it is given (NamePolicy is the gate); these prove that the
    // intermediate's name constraints stop a relying party even if a bad name got through.
    List<SubjectNames> outside = List.of(
        SubjectNames.of(List.of(), List.of(), List.of(URI.create("spiffe://evil.org/ns/default/sa/web"))),
        SubjectNames.of(List.of(), List.of(), List.of(URI.create("spiffe://sub.example.org/ns/default/sa/web"))),
        SubjectNames.of(List.of("web.evil.com"), List.of(), List.of(URI.create(SPIFFE))),
        SubjectNames.of(List.of("evilsvc.cluster.local"), List.of(), List.of(URI.create(SPIFFE))));
    for (SubjectNames sans : outside) {
      X509Certificate leaf = Pem.parseCertificate(signer.sign(template(TestKeys.p256().getPublic(), null, sans)));
      assertThatThrownBy(() -> validate(leaf, h)).as(sans.asStrings().toString())
          .isInstanceOf(CertPathValidatorException.class);
    }
  }

  @Test
  void notAfterBeyondTheCaIsBadTtlNeverCapped() throws Exception {
    LeafTemplate t = new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null, names(), TestCa.NOW,
        TestCa.INTERMEDIATE_NOT_AFTER.plusSeconds(1), Set.of(Usage.SERVER_AUTH), null, null, null);
    assertThatThrownBy(() -> signer.sign(t))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_TTL))
        .hasMessageContaining("after the issuing CA");
    LeafTemplate exactly = new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null, names(), TestCa.NOW,
        TestCa.INTERMEDIATE_NOT_AFTER, Set.of(Usage.SERVER_AUTH), null, null, null);
    assertThat(Pem.parseCertificate(signer.sign(exactly)).getNotAfter()).isEqualTo(Date.from(TestCa.INTERMEDIATE_NOT_AFTER));
  }

  @Test
  void refusesInvalidSerials() throws Exception {
    SubjectNames sans = names();
    for (BigInteger serial : List.of(BigInteger.ZERO, BigInteger.valueOf(-5), BigInteger.ONE.shiftLeft(160))) {
      LeafTemplate t = new LeafTemplate(serial, TestKeys.p256().getPublic(), null, sans, TestCa.NOW,
          TestCa.NOW.plusSeconds(600), Set.of(Usage.SERVER_AUTH), null, null, null);
      assertThatThrownBy(() -> signer.sign(t)).as(serial.toString()).isInstanceOf(IllegalArgumentException.class);
    }
    // 20 octets is the limit (RFC 5280 §4.1.2.2): the largest positive 20-octet integer is fine.
    BigInteger max = BigInteger.ONE.shiftLeft(159).subtract(BigInteger.ONE);
    LeafTemplate t = new LeafTemplate(max, TestKeys.p256().getPublic(), null, sans, TestCa.NOW,
        TestCa.NOW.plusSeconds(600), Set.of(Usage.SERVER_AUTH), null, null, null);
    assertThat(Pem.parseCertificate(signer.sign(t)).getSerialNumber()).isEqualTo(max);
  }

  @Test
  void refusesTemplatesThatBreakTheProfile() throws Exception {
    PublicKey key = TestKeys.p256().getPublic();
    SubjectNames withEmail = new SubjectNames(List.of(), List.of(), List.of(URI.create(SPIFFE)), List.of("a@example.com"));
    assertThatThrownBy(() -> signer.sign(template(key, null, withEmail))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> signer.sign(template(key, null, SubjectNames.of(List.of(), List.of(), List.of()))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> signer.sign(new LeafTemplate(Serials.random(), key, null, names(), TestCa.NOW, TestCa.NOW,
        Set.of(Usage.SERVER_AUTH), null, null, null))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> signer.sign(new LeafTemplate(Serials.random(), key, null, names(), TestCa.NOW,
        TestCa.NOW.plusSeconds(60), Set.of(), null, null, null))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void isThreadSafeAndKeepsEachTemplatesUrls() throws Exception {
    URI otherOcsp = URI.create("http://other.example.com/ocsp");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<List<Map.Entry<URI, byte[]>>>> futures = new ArrayList<>();
      for (int thread = 0; thread < 8; thread++) {
        futures.add(pool.submit(() -> {
          List<Map.Entry<URI, byte[]>> out = new ArrayList<>();
          for (int i = 0; i < 100; i++) {
            // Alternating URLs race on the cached URL extensions; each certificate must still get its own.
            URI ocsp = i % 2 == 0 ? OCSP : otherOcsp;
            out.add(Map.entry(ocsp, signer.sign(new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null,
                names(), TestCa.NOW, TestCa.NOW.plusSeconds(600), Set.of(Usage.SERVER_AUTH), CRL, ocsp, null))));
          }
          return out;
        }));
      }
      Set<BigInteger> serials = new java.util.HashSet<>();
      for (Future<List<Map.Entry<URI, byte[]>>> f : futures) {
        for (Map.Entry<URI, byte[]> issued : f.get()) {
          X509Certificate leaf = Pem.parseCertificate(issued.getValue());
          leaf.verify(h.intermediate().getPublicKey());
          assertThat(serials.add(leaf.getSerialNumber())).isTrue();
          AccessDescription[] aia = AuthorityInformationAccess.getInstance(extension(leaf, Extension.authorityInfoAccess))
              .getAccessDescriptions();
          assertThat(aia[0].getAccessLocation())
              .isEqualTo(new GeneralName(GeneralName.uniformResourceIdentifier, issued.getKey().toString()));
        }
      }
      assertThat(serials).hasSize(800);
    } finally {
      pool.shutdownNow();
    }
  }

  static void validate(X509Certificate leaf, TestCa.Hierarchy h) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(h.root(), null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(TestCa.NOW));
    CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(leaf, h.intermediate())), params);
  }
}
