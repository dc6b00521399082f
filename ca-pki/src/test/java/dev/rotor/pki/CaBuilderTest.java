package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.assertj.core.api.SoftAssertions;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CaBuilderTest {

  private final CaBuilder builder = new CaBuilder(CryptoProviders.signing());

  @ParameterizedTest(name = "ok/{0}")
  @EnumSource(KeyAlgorithm.class)
  void rootIsASelfSignedCa(KeyAlgorithm alg) throws Exception {
    X509Certificate root = TestCa.of(alg).root();
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(root.getVersion()).isEqualTo(3);
    soft.assertThat(root.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
    soft.assertThat(root.getBasicConstraints()).isEqualTo(1);
    soft.assertThat(root.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId(), Extension.keyUsage.getId());
    soft.assertThat(BasicConstraints.getInstance(extension(root, Extension.basicConstraints)).isCA()).isTrue();
    soft.assertThat(root.getKeyUsage()).containsExactly(false, false, false, false, false, true, true, false, false);
    soft.assertThat(root.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
    soft.assertThat(root.getExtensionValue(Extension.authorityKeyIdentifier.getId())).isNull();
    soft.assertThat(root.getSerialNumber().signum()).isPositive();
    soft.assertThat(root.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
    soft.assertThat(root.getSigAlgName()).isEqualToIgnoringCase(alg.signatureAlgorithm());
    soft.assertThat(root.getNotAfter()).isEqualTo(Date.from(TestCa.ROOT_NOT_AFTER));
    soft.assertAll();
    root.verify(root.getPublicKey());
  }

  @ParameterizedTest(name = "ok/{0}")
  @EnumSource(KeyAlgorithm.class)
  void intermediateIsAConstrainedCaBelowTheRoot(KeyAlgorithm alg) throws Exception {
    TestCa.Hierarchy h = TestCa.of(alg);
    X509Certificate ca = h.intermediate();
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(ca.getIssuerX500Principal().getEncoded()).isEqualTo(h.root().getSubjectX500Principal().getEncoded());
    soft.assertThat(ca.getBasicConstraints()).isEqualTo(0);
    soft.assertThat(ca.getCriticalExtensionOIDs()).contains(
        Extension.basicConstraints.getId(), Extension.keyUsage.getId(), Extension.nameConstraints.getId());
    // digitalSignature, keyCertSign, cRLSign
    soft.assertThat(ca.getKeyUsage()).containsExactly(true, false, false, false, false, true, true, false, false);
    soft.assertThat(AuthorityKeyIdentifier.getInstance(extension(ca, Extension.authorityKeyIdentifier)).getKeyIdentifier())
        .isEqualTo(new SigningCa(h.root(), h.rootKeys().getPrivate(), alg).subjectKeyIdentifier());
    NameConstraints nc = NameConstraints.getInstance(extension(ca, Extension.nameConstraints));
    soft.assertThat(nc.getExcludedSubtrees()).isNull();
    GeneralSubtree[] permitted = nc.getPermittedSubtrees();
    soft.assertThat(permitted).hasSize(3);
    soft.assertThat(permitted[0].getBase()).isEqualTo(new GeneralName(GeneralName.uniformResourceIdentifier, "example.org"));
    soft.assertThat(permitted[1].getBase()).isEqualTo(new GeneralName(GeneralName.dNSName, "svc.cluster.local"));
    soft.assertThat(permitted[2].getBase()).isEqualTo(new GeneralName(GeneralName.dNSName, "example.com"));
    soft.assertAll();
    ca.verify(h.root().getPublicKey());
  }

  @Test
  void intermediateNotAfterIsCappedAtTheParents() throws Exception {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    SigningCa root = new SigningCa(h.root(), h.rootKeys().getPrivate(), KeyAlgorithm.EC_P256);
    X509Certificate ca = builder.intermediate(KeyAlgorithm.EC_P256.generate(), KeyAlgorithm.EC_P256, new X500Name("CN=long"),
        root, TestCa.NOW, TestCa.ROOT_NOT_AFTER.plus(Duration.ofDays(365)), null);
    assertThat(ca.getNotAfter()).isEqualTo(h.root().getNotAfter());
    assertThat(ca.getExtensionValue(Extension.nameConstraints.getId())).isNull();
  }

  @Test
  void emptyValidityIsBadTtl() {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    SigningCa root = new SigningCa(h.root(), h.rootKeys().getPrivate(), KeyAlgorithm.EC_P256);
    assertThatThrownBy(() -> builder.root(KeyAlgorithm.EC_P256.generate(), KeyAlgorithm.EC_P256, new X500Name("CN=x"),
        TestCa.NOW, TestCa.NOW))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_TTL));
    // Starts after the parent expires: capping leaves nothing.
    assertThatThrownBy(() -> builder.intermediate(KeyAlgorithm.EC_P256.generate(), KeyAlgorithm.EC_P256, new X500Name("CN=x"),
        root, TestCa.ROOT_NOT_AFTER.plusSeconds(1), TestCa.ROOT_NOT_AFTER.plus(Duration.ofDays(1)), null))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_TTL));
  }

  @Test
  void refusesMismatchedKeys() {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    KeyPair p384 = KeyAlgorithm.EC_P384.generate();
    assertThatThrownBy(() -> builder.root(p384, KeyAlgorithm.EC_P256, new X500Name("CN=x"), TestCa.NOW,
        TestCa.NOW.plusSeconds(60))).isInstanceOf(IllegalArgumentException.class);
    // A parent whose private key is not its certificate's: caught before anything is returned.
    SigningCa wrongKey = new SigningCa(h.root(), KeyAlgorithm.EC_P256.generate().getPrivate(), KeyAlgorithm.EC_P256);
    assertThatThrownBy(() -> builder.intermediate(KeyAlgorithm.EC_P256.generate(), KeyAlgorithm.EC_P256, new X500Name("CN=x"),
        wrongKey, TestCa.NOW, TestCa.NOW.plusSeconds(60), null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void signingCaChecksItsParts() {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    assertThatThrownBy(() -> new SigningCa(h.intermediate(), h.keys().getPrivate(), KeyAlgorithm.EC_P384))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(h.ca().toString()).contains("Intermediate").doesNotContainIgnoringCase("private");
  }

  @Test
  void subSecondTimesAreTruncated() throws Exception {
    X509Certificate root = builder.root(KeyAlgorithm.EC_P256.generate(), KeyAlgorithm.EC_P256, new X500Name("CN=t"),
        Instant.parse("2030-01-01T00:00:00.900Z"), Instant.parse("2031-01-01T00:00:00.999Z"));
    assertThat(root.getNotBefore().toInstant()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
    assertThat(root.getNotAfter().toInstant()).isEqualTo(Instant.parse("2031-01-01T00:00:00Z"));
  }

  static byte[] extension(X509Certificate cert, org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
    byte[] value = cert.getExtensionValue(oid.getId());
    assertThat(value).as("extension " + oid).isNotNull();
    return ASN1OctetString.getInstance(value).getOctets();
  }
}
