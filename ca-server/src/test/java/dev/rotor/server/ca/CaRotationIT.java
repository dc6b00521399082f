package dev.rotor.server.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.Csrs;
import dev.rotor.server.TestServer;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

/**
 * Scheduled rotation with a 30-second intermediate: the successor is published at half-life,
 * signs from five sixths on, and the old one leaves the bundle (and its CRL endpoint) once its
 * last leaf expired; every transition is audited once. Then taint and revoke-intermediate.
 */
class CaRotationIT {

  private static final HttpClient PLAIN = HttpClient.newHttpClient();

  static Map<String, Object> shortLived() {
    return Map.of(
        "ROTOR_INTERMEDIATE_TTL", "30s",
        "ROTOR_CA_ROTATION_POLL", "200ms",
        "profiles", Map.of("brief", Map.of("base", "workload", "minTtl", "1s", "defaultTtl", "4s", "maxTtl", "10s")));
  }

  @Test
  void the_issuing_ca_rotates_on_schedule_and_the_old_one_leaves_after_its_last_leaf() throws Exception {
    try (TestServer server = TestServer.start(shortLived())) {
      JsonNode s0 = slots(server);
      int first = s0.get("activeId").asInt();
      X509Certificate firstCert = server.server().ca().issuingCertificate();
      assertThat(server.bundle()).contains(firstCert);

      X509Certificate early = leaf(server, "early");
      assertThat(early.getIssuerX500Principal()).isEqualTo(firstCert.getSubjectX500Principal());
      assertThat(new String(early.getExtensionValue("2.5.29.31"), java.nio.charset.StandardCharsets.ISO_8859_1))
          .contains("/crl/" + first);

      // prepared at half-life: in the bundle before it signs anything
      int next = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> stateId(slots(server), "prepared"), id -> id > 0);
      assertThat(server.server().ca().issuerId()).isEqualTo(first);
      X509Certificate nextCert = server.server().ca().issuer(next).orElseThrow().ca().certificate();
      assertThat(server.bundle()).contains(firstCert, nextCert);

      // active at five sixths; the old one retired but still trusted
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> slots(server).get("activeId").asInt() == next);
      X509Certificate late = leaf(server, "late");
      assertThat(late.getIssuerX500Principal()).isEqualTo(nextCert.getSubjectX500Principal());
      assertThat(late.getNotAfter()).isBeforeOrEqualTo(nextCert.getNotAfter());
      assertThat(stateOf(slots(server), first)).isEqualTo("retired");
      assertThat(server.bundle()).contains(firstCert, nextCert);
      // CRL and OCSP per CA, each signed by the CA that issued the certificate
      X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(
          new java.io.ByteArrayInputStream(get(server, "/crl/" + first).body()));
      crl.verify(firstCert.getPublicKey());
      assertThat(crl.getIssuerX500Principal()).isEqualTo(firstCert.getSubjectX500Principal());
      assertThat(ocspStatusSignedBy(server, early, firstCert)).isEqualTo(CertificateStatus.GOOD);
      assertThat(ocspStatusSignedBy(server, late, nextCert)).isEqualTo(CertificateStatus.GOOD);

      // removed once every leaf it signed has expired (leaves of at most 10 s here)
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> stateOf(slots(server), first) == null);
      assertThat(server.bundle()).doesNotContain(firstCert).contains(nextCert);
      assertThat(get(server, "/crl/" + first).statusCode()).isEqualTo(404);

      String nextSerial = nextCert.getSerialNumber().toString(16);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.created' AND target = '" + nextSerial + "'")).isEqualTo(1);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.prepared' AND target = '" + nextSerial + "'")).isEqualTo(1);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.activated' AND target = '" + nextSerial + "'")).isEqualTo(1);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.removed' AND target = '"
          + firstCert.getSerialNumber().toString(16) + "'")).isEqualTo(1);
      assertThat(server.count("SELECT count(*) FROM certificate_authorities WHERE kind = 'intermediate' AND state = 'active'")).isEqualTo(1);
    }
  }

  @Test
  void taint_switches_the_signer_at_once_and_revoke_intermediate_waits_until_its_leaves_are_replaced() throws Exception {
    try (TestServer server = TestServer.start(Map.of("ROTOR_CA_ROTATION_POLL", "200ms"))) {
      String operator = server.token("ops", "operator");
      int tainted = slots(server).get("activeId").asInt();
      X509Certificate taintedCert = server.server().ca().issuingCertificate();
      String csr = Csrs.workload("pay", "api");
      X509Certificate before = TestServer.parse(server.issue(TestServer.ADMIN_TOKEN, csr, "workload", 600).json().get("certificate").asText());

      Instant windowEnd = Instant.parse(ari(server, before).get("suggestedWindow").get("end").asText());
      assertThat(windowEnd).isAfter(Instant.now().plusSeconds(60));

      assertThat(server.post("/api/v1/ca/taint", operator, Map.of()).status()).isEqualTo(403);
      TestServer.Reply taint = server.post("/api/v1/ca/taint", TestServer.ADMIN_TOKEN, Map.of());
      assertThat(taint.status()).isEqualTo(200);
      int replacement = taint.json().get("activeId").asInt();
      assertThat(replacement).isNotEqualTo(tainted);
      assertThat(taint.json().get("taintGeneration").asLong()).isEqualTo(1);
      assertThat(stateOf(taint.json(), tainted)).isEqualTo("tainted");
      // ACME ARI: certificates of the tainted CA are to be renewed now
      assertThat(Instant.parse(ari(server, before).get("suggestedWindow").get("end").asText())).isBeforeOrEqualTo(Instant.now());
      // the tainted CA stays trusted until its leaves are replaced
      assertThat(server.bundle()).contains(taintedCert);

      TestServer.Reply refused = server.post("/api/v1/ca/revoke-intermediate", TestServer.ADMIN_TOKEN, Map.of());
      assertThat(refused.status()).isEqualTo(409);
      assertThat(refused.json().get("type").asText()).isEqualTo("urn:rotor:problem:conflict");
      assertThat(refused.json().get("detail").asText()).startsWith("1 unexpired certificates");
      assertThat(server.bundle()).contains(taintedCert);

      X509Certificate after = TestServer.parse(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("pay", "api"), "workload", 600)
          .json().get("certificate").asText());
      assertThat(after.getIssuerX500Principal()).isNotEqualTo(before.getIssuerX500Principal());
      TestServer.Reply revoked = server.post("/api/v1/ca/revoke-intermediate", TestServer.ADMIN_TOKEN, Map.of());
      assertThat(revoked.status()).isEqualTo(200);
      assertThat(revoked.json().get("unreplaced").asLong()).isZero();
      assertThat(server.bundle()).doesNotContain(taintedCert);
      // out of the bundle, but its CRL goes on while a certificate it signed is unexpired
      assertThat(stateOf(slots(server), tainted)).isEqualTo("removed");
      X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(
          new java.io.ByteArrayInputStream(get(server, "/crl/" + tainted).body()));
      crl.verify(taintedCert.getPublicKey());
      assertThat(ocspStatusSignedBy(server, before, taintedCert)).isEqualTo(CertificateStatus.GOOD);

      // a second taint, with a leaf never replaced: only force removes it
      server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("left", "behind"), "workload", 600);
      int second = slots(server).get("activeId").asInt();
      assertThat(server.post("/api/v1/ca/taint", TestServer.ADMIN_TOKEN, Map.of()).status()).isEqualTo(200);
      assertThat(server.post("/api/v1/ca/revoke-intermediate", TestServer.ADMIN_TOKEN, Map.of("id", second)).status()).isEqualTo(409);
      TestServer.Reply forced = server.post("/api/v1/ca/revoke-intermediate", TestServer.ADMIN_TOKEN, Map.of("id", second, "force", true));
      assertThat(forced.status()).isEqualTo(200);
      assertThat(forced.json().get("forced").asBoolean()).isTrue();
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.tainted'")).isEqualTo(2);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.intermediate.revoked'")).isEqualTo(2);
      // nothing left to revoke
      assertThat(server.post("/api/v1/ca/revoke-intermediate", TestServer.ADMIN_TOKEN, Map.of()).status()).isEqualTo(409);
    }
  }

  static JsonNode ari(TestServer server, X509Certificate cert) throws Exception {
    TestServer.Reply r = server.get("/acme/acme/renewal-info/" + dev.rotor.server.acme.RenewalInfo.certId(cert), null);
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }

  static X509Certificate leaf(TestServer server, String name) throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("rot", name), "brief", null);
    assertThat(r.status()).isEqualTo(201);
    return TestServer.parse(r.json().get("certificate").asText());
  }

  static JsonNode slots(TestServer server) throws Exception {
    TestServer.Reply r = server.get("/api/v1/ca/slots", TestServer.ADMIN_TOKEN);
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }

  static int stateId(JsonNode slots, String state) {
    for (JsonNode i : slots.get("intermediates")) {
      if (i.get("state").asText().equals(state)) {
        return i.get("id").asInt();
      }
    }
    return -1;
  }

  static String stateOf(JsonNode slots, int id) {
    for (JsonNode i : slots.get("intermediates")) {
      if (i.get("id").asInt() == id) {
        return i.get("state").asText();
      }
    }
    return null;
  }

  static HttpResponse<byte[]> get(TestServer server, String path) throws Exception {
    return PLAIN.send(HttpRequest.newBuilder(server.http(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static CertificateStatus ocspStatusSignedBy(TestServer server, X509Certificate leaf, X509Certificate issuer) throws Exception {
    CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
        new JcaX509CertificateHolder(issuer), leaf.getSerialNumber());
    HttpResponse<byte[]> r = PLAIN.send(HttpRequest.newBuilder(server.http("/ocsp")).header("Content-Type", "application/ocsp-request")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new OCSPReqBuilder().addRequest(id).build().getEncoded())).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(r.body()).getResponseObject();
    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey()))).isTrue();
    return basic.getResponses()[0].getCertStatus();
  }
}
