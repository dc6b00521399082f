package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigInteger;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CRL and OCSP over the plain-HTTP port, verified with BouncyCastle against the issuing CA. */
class RevocationIT {

  static TestServer server;
  static final HttpClient plain = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    // a short-lived profile, to watch revoked certificates leave the CRL when they expire
    server = TestServer.start(Map.of("profiles", Map.of("brief", Map.of("base", "workload", "minTtl", "2s", "defaultTtl", "3s", "maxTtl", "10s"))));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static X509CRLHolder fetchCrl() throws Exception {
    HttpResponse<byte[]> r = plain.send(HttpRequest.newBuilder(server.http("/crl")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/pkix-crl");
    X509CRLHolder crl = new X509CRLHolder(r.body());
    X509Certificate issuer = server.server().ca().issuingCertificate();
    assertThat(crl.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey()))).isTrue();
    assertThat(crl.getIssuer()).isEqualTo(new JcaX509CertificateHolder(issuer).getSubject());
    return crl;
  }

  static BigInteger crlNumber(X509CRLHolder crl) {
    return ASN1Integer.getInstance(crl.getExtension(Extension.cRLNumber).getParsedValue()).getValue();
  }

  String revoke(String serial, String reason) throws Exception {
    TestServer.Reply r = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", reason));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return serial;
  }

  String issue(String profile, Integer ttl) throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("rev", "w" + System.nanoTime()), profile, ttl);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("serial").asText();
  }

  @Test
  void crl_is_signed_by_the_issuing_ca_and_reissued_on_every_revocation() throws Exception {
    X509CRLHolder before = fetchCrl();
    assertThat(Duration.between(before.getThisUpdate().toInstant(), before.getNextUpdate().toInstant())).isLessThanOrEqualTo(Duration.ofHours(1));
    assertThat(before.getNextUpdate().toInstant()).isAfter(Instant.now());

    String serial = revoke(issue("workload", 600), "keyCompromise");
    X509CRLHolder after = fetchCrl();
    assertThat(crlNumber(after)).isGreaterThan(crlNumber(before));
    X509CRLEntryHolder entry = after.getRevokedCertificate(new BigInteger(serial, 16));
    assertThat(entry).isNotNull();
    assertThat(CRLReason.getInstance(entry.getExtensions().getExtensionParsedValue(Extension.reasonCode)).getValue().intValue())
        .isEqualTo(CRLReason.keyCompromise);
    String unrevoked = issue("workload", 600);
    assertThat(fetchCrl().getRevokedCertificate(new BigInteger(unrevoked, 16))).isNull();
  }

  @Test
  void crl_lists_only_revoked_certificates_that_have_not_expired() throws Exception {
    String brief = revoke(issue("brief", 2), "superseded");
    assertThat(fetchCrl().getRevokedCertificate(new BigInteger(brief, 16))).isNotNull();
    // notAfter = now + 2 s; once past it, the next CRL (rebuilt on the next revocation) drops it
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      revoke(issue("workload", 600), "superseded");
      assertThat(fetchCrl().getRevokedCertificate(new BigInteger(brief, 16))).isNull();
    });
  }

  static OCSPResp ocsp(BigInteger serial, boolean useGet) throws Exception {
    X509Certificate issuer = server.server().ca().issuingCertificate();
    CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
        new JcaX509CertificateHolder(issuer), serial);
    OCSPReq req = new OCSPReqBuilder().addRequest(id).build();
    HttpResponse<byte[]> r;
    if (useGet) {
      String b64 = URLEncoder.encode(Base64.getEncoder().encodeToString(req.getEncoded()), StandardCharsets.US_ASCII);
      r = plain.send(HttpRequest.newBuilder(server.http("/ocsp/" + b64)).build(), HttpResponse.BodyHandlers.ofByteArray());
    } else {
      r = plain.send(HttpRequest.newBuilder(server.http("/ocsp")).header("Content-Type", "application/ocsp-request")
          .POST(HttpRequest.BodyPublishers.ofByteArray(req.getEncoded())).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/ocsp-response");
    return new OCSPResp(r.body());
  }

  static SingleResp single(OCSPResp resp) throws Exception {
    assertThat(resp.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
    X509Certificate issuer = server.server().ca().issuingCertificate();
    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey()))).isTrue();
    assertThat(basic.getResponses()).hasSize(1);
    return basic.getResponses()[0];
  }

  @Test
  void ocsp_answers_good_revoked_and_unknown_by_post_and_get() throws Exception {
    String good = issue("workload", 600);
    String revoked = revoke(issue("workload", 600), "cessationOfOperation");
    for (boolean get : new boolean[] {false, true}) {
      SingleResp g = single(ocsp(new BigInteger(good, 16), get));
      assertThat(g.getCertStatus()).isEqualTo(CertificateStatus.GOOD);
      assertThat(g.getNextUpdate()).isNotNull();

      SingleResp r = single(ocsp(new BigInteger(revoked, 16), get));
      assertThat(r.getCertStatus()).isInstanceOf(RevokedStatus.class);
      RevokedStatus rs = (RevokedStatus) r.getCertStatus();
      assertThat(rs.getRevocationReason()).isEqualTo(CRLReason.cessationOfOperation);

      SingleResp u = single(ocsp(new BigInteger("123456789abcdef", 16), get));
      assertThat(u.getCertStatus()).isInstanceOf(UnknownStatus.class);
    }
  }

  @Test
  void ocsp_malformed_request_gets_malformed_request_status() throws Exception {
    HttpResponse<byte[]> r = plain.send(HttpRequest.newBuilder(server.http("/ocsp")).header("Content-Type", "application/ocsp-request")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3})).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new OCSPResp(r.body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
    HttpResponse<byte[]> get = plain.send(HttpRequest.newBuilder(server.http("/ocsp/not-base64!")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(new OCSPResp(get.body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
    HttpResponse<String> wrongType = plain.send(HttpRequest.newBuilder(server.http("/ocsp")).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(wrongType.statusCode()).isEqualTo(415);
  }
}
