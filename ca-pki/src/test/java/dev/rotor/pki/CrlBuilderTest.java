package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CrlBuilderTest {

  private static final Instant THIS_UPDATE = TestCa.NOW;
  private static final Instant NEXT_UPDATE = TestCa.NOW.plus(Duration.ofHours(1));

  @ParameterizedTest(name = "ok/{0}")
  @EnumSource(KeyAlgorithm.class)
  void crlIsSignedByTheCaAndListsEveryEntry(KeyAlgorithm alg) throws Exception {
    TestCa.Hierarchy h = TestCa.of(alg);
    CrlBuilder builder = new CrlBuilder(h.ca(), CryptoProviders.signing());
    BigInteger compromised = Serials.random();
    BigInteger plain = Serials.random();
    BigInteger replaced = Serials.random();
    Instant t1 = TestCa.NOW.minus(Duration.ofMinutes(5));
    Instant t2 = TestCa.NOW.minus(Duration.ofMinutes(4));
    Instant t3 = TestCa.NOW.minus(Duration.ofMinutes(3));
    byte[] der = builder.build(BigInteger.valueOf(42), THIS_UPDATE, NEXT_UPDATE, List.of(
        new RevokedEntry(compromised, t1, RevocationReason.keyCompromise),
        new RevokedEntry(plain, t2, RevocationReason.unspecified),
        new RevokedEntry(replaced, t3, RevocationReason.superseded)));

    X509CRLHolder crl = new X509CRLHolder(der);
    assertThat(crl.isSignatureValid(new JcaContentVerifierProviderBuilder()
        .setProvider(CryptoProviders.bouncyCastle()).build(h.intermediate()))).isTrue();

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(crl.toASN1Structure().getVersionNumber()).isEqualTo(2);
    soft.assertThat(crl.getIssuer().getEncoded()).isEqualTo(h.intermediate().getSubjectX500Principal().getEncoded());
    soft.assertThat(crl.getThisUpdate()).isEqualTo(Date.from(THIS_UPDATE));
    soft.assertThat(crl.getNextUpdate()).isEqualTo(Date.from(NEXT_UPDATE));
    soft.assertThat(crl.getRevokedCertificates()).hasSize(3);

    Extension number = crl.getExtension(Extension.cRLNumber);
    soft.assertThat(number.isCritical()).isFalse();
    soft.assertThat(CRLNumber.getInstance(number.getParsedValue()).getCRLNumber()).isEqualTo(BigInteger.valueOf(42));
    Extension aki = crl.getExtension(Extension.authorityKeyIdentifier);
    soft.assertThat(aki.isCritical()).isFalse();
    soft.assertThat(AuthorityKeyIdentifier.getInstance(aki.getParsedValue()).getKeyIdentifier())
        .isEqualTo(h.ca().subjectKeyIdentifier());

    X509CRLEntryHolder e1 = crl.getRevokedCertificate(compromised);
    soft.assertThat(e1.getRevocationDate()).isEqualTo(Date.from(t1));
    soft.assertThat(reason(e1)).isEqualTo(RevocationReason.keyCompromise.code());
    X509CRLEntryHolder e2 = crl.getRevokedCertificate(plain);
    soft.assertThat(e2.getRevocationDate()).isEqualTo(Date.from(t2));
    // RFC 5280 §5.3.1: no reasonCode for unspecified.
    soft.assertThat(e2.getExtensions()).isNull();
    soft.assertThat(reason(crl.getRevokedCertificate(replaced))).isEqualTo(RevocationReason.superseded.code());
    soft.assertAll();

    // The JDK reads it too, and matches it to certificates by issuer and serial.
    X509CRL jdk = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    jdk.verify(h.intermediate().getPublicKey());
    assertThat(jdk.getRevokedCertificate(compromised)).isNotNull();
    assertThat(jdk.getRevokedCertificate(BigInteger.TEN)).isNull();
  }

  @Test
  void everyReasonRoundTrips() throws Exception {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    List<RevokedEntry> entries = new ArrayList<>();
    for (RevocationReason r : RevocationReason.values()) {
      entries.add(new RevokedEntry(BigInteger.valueOf(100 + r.code()), TestCa.NOW, r));
    }
    X509CRLHolder crl = new X509CRLHolder(new CrlBuilder(h.ca(), CryptoProviders.signing())
        .build(BigInteger.ONE, THIS_UPDATE, NEXT_UPDATE, entries));
    for (RevocationReason r : RevocationReason.values()) {
      X509CRLEntryHolder entry = crl.getRevokedCertificate(BigInteger.valueOf(100 + r.code()));
      assertThat(r == RevocationReason.unspecified ? entry.getExtensions() == null : reason(entry) == r.code())
          .as(r.name()).isTrue();
    }
  }

  @Test
  void emptyCrlHasNoRevokedCertificatesField() throws Exception {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    X509CRLHolder crl = new X509CRLHolder(new CrlBuilder(h.ca(), CryptoProviders.signing())
        .build(BigInteger.ZERO, THIS_UPDATE, NEXT_UPDATE, List.of()));
    assertThat(crl.getRevokedCertificates()).isEmpty();
    assertThat(crl.toASN1Structure().getTBSCertList().getRevokedCertificates()).isEmpty();
    assertThat(crl.isSignatureValid(new JcaContentVerifierProviderBuilder()
        .setProvider(CryptoProviders.bouncyCastle()).build(h.intermediate()))).isTrue();
  }

  @Test
  void tenThousandEntriesAreQuick() throws Exception {
    TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
    CrlBuilder builder = new CrlBuilder(h.ca(), CryptoProviders.signing());
    List<RevokedEntry> entries = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      entries.add(new RevokedEntry(Serials.random(), TestCa.NOW.minusSeconds(i), RevocationReason.values()[i % 10]));
    }
    builder.build(BigInteger.ONE, THIS_UPDATE, NEXT_UPDATE, entries); // warm-up
    long start = System.nanoTime();
    byte[] der = builder.build(BigInteger.TWO, THIS_UPDATE, NEXT_UPDATE, entries);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(new X509CRLHolder(der).getRevokedCertificates()).hasSize(10_000);
    // Tens of milliseconds here; the bound only catches an accidental quadratic.
    assertThat(millis).isLessThan(3_000);
  }

  @Test
  void refusesInvalidNumbersAndTimes() {
    CrlBuilder builder = new CrlBuilder(TestCa.of(KeyAlgorithm.EC_P256).ca(), CryptoProviders.signing());
    assertThatThrownBy(() -> builder.build(BigInteger.valueOf(-1), THIS_UPDATE, NEXT_UPDATE, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.build(BigInteger.ONE.shiftLeft(160), THIS_UPDATE, NEXT_UPDATE, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.build(BigInteger.ONE, THIS_UPDATE, THIS_UPDATE, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int reason(X509CRLEntryHolder entry) {
    Extension ext = entry.getExtensions().getExtension(Extension.reasonCode);
    assertThat(ext.isCritical()).isFalse();
    return ASN1Enumerated.getInstance(ext.getParsedValue()).intValueExact();
  }
}
