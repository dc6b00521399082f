package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.SoftAssertions;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OcspResponderTest {

  private static final Duration VALIDITY = Duration.ofMinutes(10);
  private static final Instant REVOKED_AT = TestCa.NOW.minus(Duration.ofMinutes(7));

  private final TestCa.Hierarchy h = TestCa.of(KeyAlgorithm.EC_P256);
  private final OcspResponder responder = new OcspResponder(h.ca(), CryptoProviders.signing());

  private final BigInteger good = Serials.random();
  private final BigInteger revoked = Serials.random();
  private final BigInteger revokedUnspecified = Serials.random();
  private final BigInteger missing = Serials.random();
  private final List<BigInteger> looked = new ArrayList<>();
  private final Map<BigInteger, OcspStatus> statuses = Map.of(
      good, new OcspStatus.Good(),
      revoked, new OcspStatus.Revoked(REVOKED_AT, RevocationReason.keyCompromise),
      revokedUnspecified, new OcspStatus.Revoked(REVOKED_AT, RevocationReason.unspecified));
  private final Function<BigInteger, OcspStatus> lookup = serial -> {
    looked.add(serial);
    return statuses.getOrDefault(serial, new OcspStatus.Unknown());
  };

  @Test
  void answersEachStatusSignedByTheCa() throws Exception {
    byte[] nonce = new byte[16];
    nonce[0] = 7;
    byte[] request = request(nonce, id(h.intermediate(), good, CertificateID.HASH_SHA1),
        id(h.intermediate(), revoked, CertificateID.HASH_SHA1), id(h.intermediate(), revokedUnspecified, CertificateID.HASH_SHA1),
        id(h.intermediate(), missing, CertificateID.HASH_SHA1));

    OCSPResp resp = new OCSPResp(responder.respond(request, lookup, TestCa.NOW, VALIDITY));
    assertThat(resp.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder()
        .setProvider(CryptoProviders.bouncyCastle()).build(h.intermediate().getPublicKey()))).isTrue();

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(basic.getResponderId()).isEqualTo(new RespID(
        SubjectPublicKeyInfo.getInstance(h.intermediate().getPublicKey().getEncoded()), sha1()));
    soft.assertThat(basic.getCerts()).isEmpty();
    soft.assertThat(basic.getProducedAt()).isEqualTo(Date.from(TestCa.NOW));
    soft.assertThat(basic.getSignatureAlgOID().getId()).isEqualTo("1.2.840.10045.4.3.2");
    SingleResp[] singles = basic.getResponses();
    soft.assertThat(singles).hasSize(4);
    for (SingleResp single : singles) {
      soft.assertThat(single.getThisUpdate()).isEqualTo(Date.from(TestCa.NOW));
      soft.assertThat(single.getNextUpdate()).isEqualTo(Date.from(TestCa.NOW.plus(VALIDITY)));
    }
    soft.assertThat(singles[0].getCertID().getSerialNumber()).isEqualTo(good);
    soft.assertThat(singles[0].getCertStatus()).isEqualTo(CertificateStatus.GOOD);
    RevokedStatus r = (RevokedStatus) singles[1].getCertStatus();
    soft.assertThat(r.getRevocationTime()).isEqualTo(Date.from(REVOKED_AT));
    soft.assertThat(r.hasRevocationReason()).isTrue();
    soft.assertThat(r.getRevocationReason()).isEqualTo(RevocationReason.keyCompromise.code());
    RevokedStatus ru = (RevokedStatus) singles[2].getCertStatus();
    soft.assertThat(ru.getRevocationTime()).isEqualTo(Date.from(REVOKED_AT));
    soft.assertThat(ru.hasRevocationReason()).isFalse();
    soft.assertThat(singles[3].getCertStatus()).isInstanceOf(UnknownStatus.class);

    Extension echoed = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
    soft.assertThat(echoed).isNotNull();
    soft.assertThat(echoed.getExtnValue().getOctets()).isEqualTo(new DEROctetString(nonce).getEncoded());
    soft.assertAll();
    assertThat(looked).containsExactly(good, revoked, revokedUnspecified, missing);
  }

  @Test
  void sha256CertIdsWork() throws Exception {
    OCSPResp resp = new OCSPResp(responder.respond(
        request(null, id(h.intermediate(), good, new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
            org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256))), lookup, TestCa.NOW, VALIDITY));
    BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
    assertThat(basic.getResponses()[0].getCertStatus()).isEqualTo(CertificateStatus.GOOD);
    assertThat(basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)).isNull();
  }

  @Test
  void foreignIssuerIsUnknownWithoutALookup() throws Exception {
    X509Certificate otherCa = TestCa.of(KeyAlgorithm.EC_P384).intermediate();
    OCSPResp resp = new OCSPResp(responder.respond(
        request(null, id(otherCa, good, CertificateID.HASH_SHA1), id(h.root(), good, CertificateID.HASH_SHA1)),
        lookup, TestCa.NOW, VALIDITY));
    BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
    assertThat(basic.getResponses()).allSatisfy(s -> assertThat(s.getCertStatus()).isInstanceOf(UnknownStatus.class));
    assertThat(looked).isEmpty();
  }

  @Test
  void unsupportedCertIdHashIsUnknown() throws Exception {
    OCSPResp resp = new OCSPResp(responder.respond(
        request(null, id(h.intermediate(), good, new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
            org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha384))), lookup, TestCa.NOW, VALIDITY));
    assertThat(((BasicOCSPResp) resp.getResponseObject()).getResponses()[0].getCertStatus()).isInstanceOf(UnknownStatus.class);
    assertThat(looked).isEmpty();
  }

  @Test
  void malformedRequestsGetStatusOne() throws Exception {
    CertificateID id = id(h.intermediate(), good, CertificateID.HASH_SHA1);
    CertificateID[] eleven = new CertificateID[11];
    java.util.Arrays.fill(eleven, id);
    CertificateID[] ten = new CertificateID[10];
    java.util.Arrays.fill(ten, id);
    List<byte[]> malformed = List.of(
        new byte[] {1, 2, 3},
        new byte[0],
        new byte[] {0x30, 0x00},
        request(null),
        request(null, eleven),
        request(new byte[33], id),
        request(new byte[0], id),
        java.util.Arrays.copyOf(request(null, id), request(null, id).length + 1));
    for (byte[] bad : malformed) {
      assertThat(new OCSPResp(responder.respond(bad, lookup, TestCa.NOW, VALIDITY)).getStatus())
          .as(java.util.HexFormat.of().formatHex(bad)).isEqualTo(OCSPResp.MALFORMED_REQUEST);
    }
    assertThat(new OCSPResp(responder.respond(null, lookup, TestCa.NOW, VALIDITY)).getStatus())
        .isEqualTo(OCSPResp.MALFORMED_REQUEST);
    assertThat(looked).isEmpty();
    // The limits are inclusive: ten requests and a 32-byte nonce are fine.
    assertThat(new OCSPResp(responder.respond(request(new byte[32], ten), lookup, TestCa.NOW, VALIDITY)).getStatus())
        .isEqualTo(OCSPResp.SUCCESSFUL);
  }

  @Test
  void garbageNeverThrows() {
    java.util.Random random = new java.util.Random(6960);
    byte[] valid = request(new byte[16], id(h.intermediate(), good, CertificateID.HASH_SHA1));
    for (int i = 0; i < 2000; i++) {
      byte[] mutated = valid.clone();
      mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      byte[] response = responder.respond(mutated, lookup, TestCa.NOW, VALIDITY);
      assertThat(response).isNotEmpty();
    }
  }

  @ParameterizedTest(name = "ok/{0}")
  @EnumSource(KeyAlgorithm.class)
  void everyCaAlgorithmSignsResponses(KeyAlgorithm alg) throws Exception {
    TestCa.Hierarchy other = TestCa.of(alg);
    OcspResponder r = new OcspResponder(other.ca(), CryptoProviders.signing());
    BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(r.respond(
        request(null, id(other.intermediate(), good, CertificateID.HASH_SHA1)), lookup, TestCa.NOW, VALIDITY))
        .getResponseObject();
    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder()
        .setProvider(CryptoProviders.bouncyCastle()).build(other.intermediate().getPublicKey()))).isTrue();
    assertThat(basic.getResponses()[0].getCertStatus()).isEqualTo(CertificateStatus.GOOD);
  }

  private static CertificateID id(X509Certificate issuer, BigInteger serial, org.bouncycastle.asn1.x509.AlgorithmIdentifier hash) {
    try {
      DigestCalculator digest = new JcaDigestCalculatorProviderBuilder()
          .setProvider(CryptoProviders.bouncyCastle()).build().get(hash);
      return new CertificateID(digest, new X509CertificateHolder(issuer.getEncoded()), serial);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] request(byte[] nonce, CertificateID... ids) {
    try {
      OCSPReqBuilder builder = new OCSPReqBuilder();
      for (CertificateID id : ids) {
        builder.addRequest(id);
      }
      if (nonce != null) {
        builder.setRequestExtensions(new Extensions(
            new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce).getEncoded())));
      }
      return builder.build().getEncoded();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static DigestCalculator sha1() throws Exception {
    return new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
  }
}
