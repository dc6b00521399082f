package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.TestServer;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.RevocationReason;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Dns01Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * ACME end to end with acme4j (the real client) against the real server, with http-01, dns-01 and
 * tls-alpn-01 responders on loopback ({@code ROTOR_ACME_STATIC_HOSTS} maps {@code *.test} there),
 * and the refusals a client must see, each with its exact problem type.
 */
class AcmeIT {

  private static final String ERR = "urn:ietf:params:acme:error:";
  private static Responders.Http01 http;
  private static Responders.TlsAlpn01 tls;
  private static Responders.Dns dns;
  private static TestServer server;
  private static Session session;

  @BeforeAll
  static void start() throws Exception {
    http = new Responders.Http01();
    tls = new Responders.TlsAlpn01();
    dns = new Responders.Dns();
    server = TestServer.start(Map.of(
        "ROTOR_PERMITTED_DNS", "test,localhost",
        "ROTOR_ACME_STATIC_HOSTS", "*.test=127.0.0.1",
        "ROTOR_ACME_HTTP01_PORT", http.port(),
        "ROTOR_ACME_TLSALPN01_PORT", tls.port(),
        "ROTOR_ACME_DNS_SERVER", "127.0.0.1:" + dns.port(),
        "ROTOR_ACME_PERMITTED_IPS", "127.0.0.0/8",
        "ROTOR_PERMITTED_IPS", "127.0.0.0/16",
        "ROTOR_ACME_ORDERS_PER_HOUR", 5));
    session = AcmeClients.session(server, "acme");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    http.close();
    tls.close();
    dns.close();
  }

  private static Account newAccount() throws Exception {
    return new AccountBuilder().agreeToTermsOfService().addEmail("ops@a.test")
        .useKeyPair(KeyPairUtils.createECKeyPair("secp256r1")).create(session);
  }

  private static Http01Challenge http01(Order order) throws Exception {
    Authorization auth = order.getAuthorizations().get(0);
    Http01Challenge ch = auth.findChallenge(Http01Challenge.class).orElseThrow();
    http.tokens.put(ch.getToken(), ch.getAuthorization());
    return ch;
  }

  private static Certificate finish(Order order, KeyPair domainKey) throws Exception {
    assertThat(order.waitUntilReady(Duration.ofSeconds(30))).isEqualTo(Status.READY);
    order.execute(domainKey);
    assertThat(order.waitForCompletion(Duration.ofSeconds(30))).isEqualTo(Status.VALID);
    Certificate cert = order.getCertificate();
    cert.download();
    return cert;
  }

  private static String problemType(Throwable t) {
    return ((AcmeServerException) t).getProblem().getType().toString();
  }

  @Test
  void http01_orderDownloadRevokeByAccount_andRenewalInfo() throws Exception {
    Account account = newAccount();
    Order order = account.newOrder().domains("www.a.test", "api.a.test").create();
    for (Authorization auth : order.getAuthorizations()) {
      Http01Challenge ch = auth.findChallenge(Http01Challenge.class).orElseThrow();
      http.tokens.put(ch.getToken(), ch.getAuthorization());
      ch.trigger();
    }
    KeyPair domainKey = KeyPairUtils.createECKeyPair("secp256r1");
    Certificate cert = finish(order, domainKey);
    X509Certificate leaf = cert.getCertificate();
    assertThat(leaf.getSubjectAlternativeNames()).extracting(l -> String.valueOf(l.get(1))).containsExactlyInAnyOrder("www.a.test", "api.a.test");
    assertThat(leaf.getPublicKey().getEncoded()).isEqualTo(domainKey.getPublic().getEncoded());
    assertThat(cert.getCertificateChain()).hasSize(2);
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant())).isGreaterThan(Duration.ofHours(23));
    assertThat(server.count("SELECT count(*) FROM certificates WHERE channel = 'acme' AND requester LIKE 'acme:%'")).isPositive();
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'acme.order.finalized'")).isPositive();

    // ARI: the window lies around two thirds of the lifetime, in the future
    assertThat(cert.hasRenewalInfo()).isTrue();
    Instant start = cert.getRenewalInfo().getSuggestedWindowStart();
    Instant twoThirds = leaf.getNotBefore().toInstant().plus(Duration.between(leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant()).multipliedBy(2).dividedBy(3));
    assertThat(start).isAfter(Instant.now()).isBetween(twoThirds.minus(Duration.ofHours(2)), twoThirds);

    // a renewal order names the certificate it replaces
    Order renewal = account.newOrder().domains("www.a.test", "api.a.test").replaces(cert).create();
    assertThat(renewal.getJSON().get("replaces").asString()).isEqualTo(RenewalInfo.certId(leaf));
    assertThatThrownBy(() -> account.newOrder().domain("www.a.test").replaces(cert).create())
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "alreadyReplaced"));

    cert.revoke(RevocationReason.SUPERSEDED);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL AND serial = '"
        + leaf.getSerialNumber().toString(16) + "'")).isEqualTo(1);
    // ARI after revocation: the window has begun, renew now
    org.shredzone.acme4j.RenewalInfo after = cert.getRenewalInfo();
    after.fetch(); // acme4j keeps the first answer until asked again
    assertThat(after.getSuggestedWindowEnd()).isBeforeOrEqualTo(Instant.now());
    assertThatThrownBy(cert::revoke).satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "alreadyRevoked"));
    // ... except with keyCompromise, which changes the reason and blocks the key (CA/B BR §4.9.1.1)
    cert.revoke(RevocationReason.KEY_COMPROMISE);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE revocation_reason = 'keyCompromise' AND serial = '"
        + leaf.getSerialNumber().toString(16) + "'")).isEqualTo(1);
    assertThat(server.count("SELECT count(*) FROM blocked_keys WHERE source_serial = '"
        + leaf.getSerialNumber().toString(16) + "'")).isEqualTo(1);
    assertThatThrownBy(() -> cert.revoke(RevocationReason.KEY_COMPROMISE))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "alreadyRevoked"));
  }

  @Test
  void dns01_wildcard_revokedByCertificateKey() throws Exception {
    Account account = newAccount();
    Order order = account.newOrder().domain("*.w.test").create();
    Authorization auth = order.getAuthorizations().get(0);
    assertThat(auth.isWildcard()).isTrue();
    assertThat(auth.getChallenges()).extracting(c -> c.getType()).containsExactly(Dns01Challenge.TYPE);
    Dns01Challenge ch = auth.findChallenge(Dns01Challenge.class).orElseThrow();
    dns.txt.put("_acme-challenge.w.test", List.of("unrelated", ch.getDigest()));
    ch.trigger();
    KeyPair domainKey = KeyPairUtils.createECKeyPair("secp256r1");
    Certificate cert = finish(order, domainKey);
    assertThat(cert.getCertificate().getSubjectAlternativeNames()).extracting(l -> String.valueOf(l.get(1))).containsExactly("*.w.test");

    Certificate.revoke(session, domainKey, cert.getCertificate(), RevocationReason.KEY_COMPROMISE);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE revocation_reason = 'keyCompromise' AND serial = '"
        + cert.getCertificate().getSerialNumber().toString(16) + "'")).isEqualTo(1);
  }

  @Test
  void tlsAlpn01_forDnsAndIp() throws Exception {
    Account account = newAccount();
    for (Identifier id : List.of(Identifier.dns("tls.a.test"), Identifier.ip("127.0.0.1"))) {
      Order order = account.newOrder().identifier(id).create();
      Authorization auth = order.getAuthorizations().get(0);
      TlsAlpn01Challenge ch = auth.findChallenge(TlsAlpn01Challenge.class).orElseThrow();
      KeyPair challengeKey = KeyPairUtils.createKeyPair(2048); // acme4j signs the challenge certificate with SHA256withRSA
      tls.set(challengeKey, ch.createCertificate(challengeKey, auth.getIdentifier()));
      ch.trigger();
      Certificate cert = finish(order, KeyPairUtils.createECKeyPair("secp256r1"));
      assertThat(cert.getCertificate().getSubjectAlternativeNames()).extracting(l -> String.valueOf(l.get(1))).containsExactly(id.getValue());
    }
  }

  @Test
  void externalAccountBinding_singleUse_andKeyRollover() throws Exception {
    TestServer.Reply eab = server.post("/api/v1/acme/eab", TestServer.ADMIN_TOKEN, Map.of("label", "ingress-a"));
    assertThat(eab.status()).isEqualTo(201);
    String keyId = eab.json().get("keyId").asText();
    String hmac = eab.json().get("hmacKey").asText();
    assertThat(server.post("/api/v1/acme/eab", null, Map.of()).status()).isEqualTo(401);

    KeyPair first = KeyPairUtils.createECKeyPair("secp256r1");
    Account account = new AccountBuilder().agreeToTermsOfService().withKeyIdentifier(keyId, hmac).useKeyPair(first).create(session);
    assertThat(account.getStatus()).isEqualTo(Status.VALID);
    assertThat(server.count("SELECT count(*) FROM acme_eab_keys WHERE used_at IS NOT NULL AND key_id = '" + keyId + "'")).isEqualTo(1);
    assertThatThrownBy(() -> new AccountBuilder().agreeToTermsOfService().withKeyIdentifier(keyId, hmac)
        .useKeyPair(KeyPairUtils.createECKeyPair("secp256r1")).create(session))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "unauthorized"));

    // key rollover: the new key logs in to the same account, the old one no longer finds it
    KeyPair second = KeyPairUtils.createKeyPair(2048);
    account.changeKey(second);
    Account again = new AccountBuilder().onlyExisting().useKeyPair(second).create(session);
    assertThat(again.getLocation()).isEqualTo(account.getLocation());
    assertThatThrownBy(() -> new AccountBuilder().onlyExisting().useKeyPair(first).create(session))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "accountDoesNotExist"));
    // and it can order with the new key
    Order order = again.newOrder().domain("rolled.a.test").create();
    http01(order).trigger();
    finish(order, KeyPairUtils.createECKeyPair("secp256r1"));
  }

  @Test
  void refusals_carryTheirProblemTypes() throws Exception {
    KeyPair accountKey = KeyPairUtils.createECKeyPair("secp256r1");
    Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey).create(session);
    // name outside the policy, with a subproblem per identifier
    assertThatThrownBy(() -> account.newOrder().domains("ok.a.test", "evil.example").create())
        .satisfies(e -> {
          assertThat(problemType(e)).isEqualTo(ERR + "rejectedIdentifier");
          assertThat(((AcmeServerException) e).getProblem().getSubProblems()).hasSize(1)
              .allSatisfy(p -> assertThat(p.getIdentifier().orElseThrow().getValue()).isEqualTo("evil.example"));
        });
    assertThatThrownBy(() -> account.newOrder().identifier(Identifier.ip("10.1.2.3")).create())
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "rejectedIdentifier"));
    // inside ROTOR_ACME_PERMITTED_IPS but outside the name policy's ROTOR_PERMITTED_IPS: finalize could never issue it
    assertThatThrownBy(() -> account.newOrder().identifier(Identifier.ip("127.1.0.1")).create())
        .satisfies(e -> {
          assertThat(problemType(e)).isEqualTo(ERR + "rejectedIdentifier");
          assertThat(((AcmeServerException) e).getProblem().getDetail().orElseThrow())
              .contains("127.1.0.1 is not in a permitted range [127.0.0.0/16]");
        });

    // finalize before ready
    Order order = account.newOrder().domain("early.a.test").create();
    assertThatThrownBy(() -> order.execute(KeyPairUtils.createECKeyPair("secp256r1")))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "orderNotReady"));

    // a CSR with a name the order does not have
    http01(order).trigger();
    assertThat(order.waitUntilReady(Duration.ofSeconds(30))).isEqualTo(Status.READY);
    assertThatThrownBy(() -> order.execute(KeyPairUtils.createECKeyPair("secp256r1"), csr -> csr.addDomain("extra.a.test")))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "badCSR"));
    // a CSR for the account's own key
    assertThatThrownBy(() -> order.execute(accountKey))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "badCSR"));
    order.fetch();
    assertThat(order.getStatus()).isEqualTo(Status.READY); // the refused CSR changed nothing

    // failed http-01: the responder serves a wrong key authorization
    Order failing = account.newOrder().domain("wrong.a.test").create();
    Http01Challenge ch = failing.getAuthorizations().get(0).findChallenge(Http01Challenge.class).orElseThrow();
    http.tokens.put(ch.getToken(), ch.getToken() + ".not-the-thumbprint");
    ch.trigger();
    assertThat(ch.waitForCompletion(Duration.ofSeconds(30))).isEqualTo(Status.INVALID);
    assertThat(ch.getError().orElseThrow().getType().toString()).isEqualTo(ERR + "incorrectResponse");
    failing.fetch();
    assertThat(failing.getStatus()).isEqualTo(Status.INVALID);
  }

  @Test
  void accountKeys_weakOrReportedCompromised_areBadPublicKey() throws Exception {
    // RSA with exponent 3 signs RS256 fine, but fails the CSR key checks, so it is no account key.
    java.security.KeyPairGenerator gen = java.security.KeyPairGenerator.getInstance("RSA");
    gen.initialize(new java.security.spec.RSAKeyGenParameterSpec(2048, java.math.BigInteger.valueOf(3)));
    KeyPair weak = gen.generateKeyPair();
    assertThatThrownBy(() -> new AccountBuilder().agreeToTermsOfService().useKeyPair(weak).create(session))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "badPublicKey"));

    // A key whose certificate was revoked for keyCompromise: no new account, no rollover to it.
    KeyPair compromised = KeyPairUtils.createECKeyPair("secp256r1");
    TestServer.Reply issued = server.issue(TestServer.ADMIN_TOKEN,
        dev.rotor.server.Csrs.pem(compromised, "URI:spiffe://rotor.local/ns/acme-it/sa/compromised"), "workload", 600);
    assertThat(issued.status()).as(issued.body()).isEqualTo(201);
    TestServer.Reply revoked = server.post("/api/v1/certificates/" + issued.json().get("serial").asText() + "/revoke",
        TestServer.ADMIN_TOKEN, Map.of("reason", "keyCompromise"));
    assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
    assertThatThrownBy(() -> new AccountBuilder().agreeToTermsOfService().useKeyPair(compromised).create(session))
        .satisfies(e -> {
          assertThat(problemType(e)).isEqualTo(ERR + "badPublicKey");
          assertThat(e.getMessage()).contains("reported compromised");
        });
    Account account = newAccount();
    assertThatThrownBy(() -> account.changeKey(compromised))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "badPublicKey"));
    assertThatThrownBy(() -> account.changeKey(weak))
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "badPublicKey"));
    // The account keeps its key and still works.
    account.fetch();
    assertThat(account.getStatus()).isEqualTo(Status.VALID);
  }

  @Test
  void rateLimit_newOrdersPerHour() throws Exception {
    Account account = newAccount();
    for (int i = 0; i < 5; i++) {
      account.newOrder().domain("limit" + i + ".a.test").create();
    }
    assertThatThrownBy(() -> account.newOrder().domain("limit5.a.test").create())
        .satisfies(e -> assertThat(problemType(e)).isEqualTo(ERR + "rateLimited"));
    AcmeClients.Raw raw = new AcmeClients.Raw(server);
    String kid = raw.newAccount();
    for (int i = 0; i < 5; i++) {
      assertThat(raw.post(raw.base + "new-order", raw.jws("ES256", raw.base + "new-order", raw.nonce(), kid,
          Map.of("identifiers", List.of(Map.of("type", "dns", "value", "r" + i + ".a.test"))))).statusCode()).isEqualTo(201);
    }
    HttpResponse<String> r = raw.post(raw.base + "new-order", raw.jws("ES256", raw.base + "new-order", raw.nonce(), kid,
        Map.of("identifiers", List.of(Map.of("type", "dns", "value", "r5.a.test")))));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(AcmeClients.json(r).get("type").asText()).isEqualTo(ERR + "rateLimited");
    assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 3600L);
  }

  @Test
  void rawJws_nonceUrlAlgorithmAndDeactivatedAccount() throws Exception {
    AcmeClients.Raw raw = new AcmeClients.Raw(server);
    String url = raw.base + "new-account";
    String body = raw.jws("ES256", url, raw.nonce(), null, Map.of("termsOfServiceAgreed", true));
    assertThat(raw.post(url, body).statusCode()).isEqualTo(201);
    long accounts = server.count("SELECT count(*) FROM acme_accounts");

    // replayed nonce: badNonce, with a fresh nonce to retry with
    HttpResponse<String> replay = raw.post(url, body);
    assertThat(replay.statusCode()).isEqualTo(400);
    assertThat(replay.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
    assertThat(AcmeClients.json(replay).get("type").asText()).isEqualTo(ERR + "badNonce");
    assertThat(replay.headers().firstValue("Replay-Nonce")).isPresent();

    // wrong url
    AcmeClients.Raw other = new AcmeClients.Raw(server);
    HttpResponse<String> wrongUrl = other.post(url, other.jws("ES256", other.base + "new-order", other.nonce(), null,
        Map.of("termsOfServiceAgreed", true)));
    assertThat(wrongUrl.statusCode()).isEqualTo(403);
    assertThat(AcmeClients.json(wrongUrl).get("type").asText()).isEqualTo(ERR + "unauthorized");

    // unsupported algorithm
    HttpResponse<String> badAlg = other.post(url, other.jws("HS256", url, other.nonce(), null, Map.of("termsOfServiceAgreed", true)));
    assertThat(badAlg.statusCode()).isEqualTo(400);
    JsonNode p = AcmeClients.json(badAlg);
    assertThat(p.get("type").asText()).isEqualTo(ERR + "badSignatureAlgorithm");
    assertThat(p.get("algorithms")).isNotEmpty();
    assertThat(server.count("SELECT count(*) FROM acme_accounts")).isEqualTo(accounts);

    // kid of a deactivated account
    String kid = other.newAccount();
    HttpResponse<String> deactivate = other.post(kid, other.jws("ES256", kid, other.nonce(), kid, Map.of("status", "deactivated")));
    assertThat(deactivate.statusCode()).isEqualTo(200);
    assertThat(AcmeClients.json(deactivate).get("status").asText()).isEqualTo("deactivated");
    HttpResponse<String> afterwards = other.post(other.base + "new-order", other.jws("ES256", other.base + "new-order", other.nonce(), kid,
        Map.of("identifiers", List.of(Map.of("type", "dns", "value", "x.a.test")))));
    assertThat(afterwards.statusCode()).isEqualTo(403);
    assertThat(AcmeClients.json(afterwards).get("type").asText()).isEqualTo(ERR + "unauthorized");

    // unsupported identifier type
    AcmeClients.Raw third = new AcmeClients.Raw(server);
    String kid3 = third.newAccount();
    HttpResponse<String> email = third.post(third.base + "new-order", third.jws("ES256", third.base + "new-order", third.nonce(), kid3,
        Map.of("identifiers", List.of(Map.of("type", "email", "value", "a@a.test")))));
    assertThat(AcmeClients.json(email).get("type").asText()).isEqualTo(ERR + "unsupportedIdentifier");
  }
}
