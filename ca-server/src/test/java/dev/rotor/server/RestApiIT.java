package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.security.KeyPair;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The REST API end to end, over TLS, against a real server and PostgreSQL. */
class RestApiIT {

  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    // IP SANs limited to 10.0.0.0/8; the server's own certificate still names 127.0.0.1 (last test).
    server = TestServer.start(Map.of("ROTOR_PERMITTED_IPS", "10.0.0.0/8"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void issues_a_workload_certificate_that_chains_to_the_bundle() throws Exception {
    KeyPair keys = Csrs.ec("secp256r1");
    Instant before = Instant.now();
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN,
        Csrs.pem(keys, "URI:spiffe://rotor.local/ns/payments/sa/api"), "workload", 900);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.contentType()).startsWith("application/json");
    JsonNode j = r.json();
    X509Certificate leaf = TestServer.parse(j.get("certificate").asText());
    List<X509Certificate> chain = dev.rotor.pki.Pem.parseCertificates(j.get("chain").asText());

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(j.get("serial").asText()).isEqualTo(leaf.getSerialNumber().toString(16));
    soft.assertThat(leaf.getSerialNumber().bitLength()).isBetween(100, 128);
    soft.assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
    soft.assertThat(j.get("sans").get(0).asText()).isEqualTo("spiffe://rotor.local/ns/payments/sa/api");
    soft.assertThat(leaf.getSubjectAlternativeNames()).extracting(l -> (Object) l.get(1)).containsExactly((Object) "spiffe://rotor.local/ns/payments/sa/api");
    soft.assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17"); // SAN critical: empty subject
    soft.assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    soft.assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    Instant notBefore = leaf.getNotBefore().toInstant();
    Instant notAfter = leaf.getNotAfter().toInstant();
    soft.assertThat(Duration.between(notBefore, notAfter)).isEqualTo(Duration.ofSeconds(930));
    soft.assertThat(notBefore).isBetween(before.minusSeconds(32), before.minusSeconds(28).plusSeconds(5));
    soft.assertThat(Instant.parse(j.get("notAfter").asText())).isEqualTo(notAfter);
    soft.assertThat(chain).hasSize(2);
    soft.assertThat(chain.get(0)).isEqualTo(leaf);
    soft.assertThat(chain.get(1)).isEqualTo(server.server().ca().issuingCertificate());
    soft.assertThat(r.raw().headers().firstValue("Location")).hasValue("/api/v1/certificates/" + j.get("serial").asText());
    // the CRL distribution point and AIA point at the plain-HTTP port
    soft.assertThat(new String(leaf.getExtensionValue("2.5.29.31"), java.nio.charset.StandardCharsets.ISO_8859_1))
        .contains("http://localhost:" + server.server().httpPort() + "/crl");
    soft.assertAll();

    CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(server.bundle().get(0), null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(path, params);
  }

  @Test
  void defaults_the_ttl_to_the_profile_default() throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("web", "frontend"), "workload", null);
    assertThat(r.status()).isEqualTo(201);
    X509Certificate leaf = TestServer.parse(r.json().get("certificate").asText());
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofMinutes(15).plusSeconds(30));
  }

  @Test
  void ip_addresses_must_be_in_the_permitted_ranges() throws Exception {
    TestServer.Reply inside = server.issue(TestServer.ADMIN_TOKEN, Csrs.pem(Csrs.ec("secp256r1"), "IP:10.1.2.3"), "acme", 3600);
    assertThat(inside.status()).as(inside.body()).isEqualTo(201);
    assertThat(TestServer.parse(inside.json().get("certificate").asText()).getSubjectAlternativeNames())
        .extracting(l -> (Object) l.get(1)).containsExactly((Object) "10.1.2.3");

    long certificates = server.count("SELECT count(*) FROM certificates");
    long precertificates = server.count("SELECT count(*) FROM precertificates");
    long audit = server.count("SELECT count(*) FROM audit_log");
    TestServer.Reply outside = server.issue(TestServer.ADMIN_TOKEN,
        Csrs.pem(Csrs.ec("secp256r1"), "IP:10.9.9.9", "IP:192.168.1.1"), "acme", 3600);
    assertThat(outside.status()).as(outside.body()).isEqualTo(400);
    assertThat(outside.contentType()).isEqualTo("application/problem+json");
    assertThat(outside.json().get("type").asText()).isEqualTo("urn:rotor:problem:rejected-identifier");
    assertThat(outside.json().get("detail").asText())
        .isEqualTo("IP address 192.168.1.1 is not in a permitted range [10.0.0.0/8]");
    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(certificates);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE '192.168.1.1' = ANY(sans)")).isZero();
    // The recovery sweep may delete pre-records of earlier issuances meanwhile, but none was added.
    assertThat(server.count("SELECT count(*) FROM precertificates")).isLessThanOrEqualTo(precertificates);
    assertThat(server.count("SELECT count(*) FROM audit_log")).isEqualTo(audit);
  }

  @Test
  void gets_a_certificate_as_json_and_as_pem_chain() throws Exception {
    JsonNode issued = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("get", "one"), "workload", 600).json();
    String serial = issued.get("serial").asText();
    TestServer.Reply json = server.get("/api/v1/certificates/" + serial, TestServer.ADMIN_TOKEN);
    assertThat(json.status()).isEqualTo(200);
    assertThat(json.json().get("status").asText()).isEqualTo("active");
    assertThat(json.json().get("certificate").asText()).isEqualTo(issued.get("certificate").asText());
    assertThat(json.json().get("requester").asText()).isEqualTo("token:admin");
    assertThat(json.json().get("channel").asText()).isEqualTo("rest");

    TestServer.Reply pem = server.send("GET", "/api/v1/certificates/" + serial.toUpperCase(), TestServer.ADMIN_TOKEN, null, null,
        Map.of("Accept", "application/pem-certificate-chain"));
    assertThat(pem.status()).isEqualTo(200);
    assertThat(pem.contentType()).isEqualTo("application/pem-certificate-chain");
    assertThat(pem.body()).isEqualTo(issued.get("chain").asText());

    assertThat(server.get("/api/v1/certificates/abcdef0123", TestServer.ADMIN_TOKEN).status()).isEqualTo(404);
    assertThat(server.get("/api/v1/certificates/not-hex", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
  }

  @Test
  void searches_by_text_and_status_with_keyset_pagination() throws Exception {
    Set<String> serials = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      serials.add(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("search", "pager-" + i), "workload", 600).json().get("serial").asText());
    }
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      TestServer.Reply r = server.get("/api/v1/certificates?q=ns/search/sa/pager&limit=3" + (cursor == null ? "" : "&cursor=" + cursor), TestServer.ADMIN_TOKEN);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonNode items = r.json().get("items");
      assertThat(items.size()).isLessThanOrEqualTo(3);
      items.forEach(it -> assertThat(seen.add(it.get("serial").asText())).as("no item twice").isTrue());
      cursor = r.json().get("next").isNull() ? null : r.json().get("next").asText();
      pages++;
    } while (cursor != null);
    assertThat(seen).isEqualTo(serials);
    assertThat(pages).isEqualTo(3);

    // by serial prefix, as openssl prints serials: upper case, whole bytes, colon-separated
    String one = serials.iterator().next();
    String printed = String.join(":", ((one.length() % 2 == 1 ? "0" : "") + one).substring(0, 12).toUpperCase().split("(?<=\\G..)"));
    JsonNode bySerial = server.get("/api/v1/certificates?q=" + printed, TestServer.ADMIN_TOKEN).json();
    assertThat(bySerial.get("items")).extracting(n -> n.get("serial").asText()).containsExactly(one);
    assertThat(server.get("/api/v1/certificates?q=" + one, TestServer.ADMIN_TOKEN).json().get("items"))
        .extracting(n -> n.get("serial").asText()).containsExactly(one);

    server.post("/api/v1/certificates/" + one + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "superseded"));
    JsonNode revoked = server.get("/api/v1/certificates?status=revoked&q=pager", TestServer.ADMIN_TOKEN).json();
    assertThat(revoked.get("items")).extracting(n -> n.get("serial").asText()).containsExactly(one);
    JsonNode active = server.get("/api/v1/certificates?status=active&q=pager&limit=100", TestServer.ADMIN_TOKEN).json();
    assertThat(active.get("items")).hasSize(6).extracting(n -> n.get("status").asText()).containsOnly("active");

    assertThat(server.get("/api/v1/certificates?status=bogus", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/certificates?limit=0", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/certificates?limit=1001", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/certificates?cursor=!!", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
  }

  @Test
  void revokes_once_then_409_and_unknown_serial_404() throws Exception {
    String serial = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("rev", "one"), "workload", 600).json().get("serial").asText();
    TestServer.Reply r = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "keyCompromise"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("serial").asText()).isEqualTo(serial);
    assertThat(r.json().get("reason").asText()).isEqualTo("keyCompromise");
    assertThat(Instant.parse(r.json().get("revokedAt").asText())).isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(Duration.ofSeconds(10).toMillis(), java.time.temporal.ChronoUnit.MILLIS));

    TestServer.Reply again = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "superseded"));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("type").asText()).isEqualTo("urn:rotor:problem:already-revoked");
    JsonNode stored = server.get("/api/v1/certificates/" + serial, TestServer.ADMIN_TOKEN).json();
    assertThat(stored.get("revocationReason").asText()).isEqualTo("keyCompromise");
    assertThat(stored.get("status").asText()).isEqualTo("revoked");

    assertThat(server.post("/api/v1/certificates/1234abcd/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "superseded")).status()).isEqualTo(404);
    TestServer.Reply badReason = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "because"));
    assertThat(badReason.status()).isEqualTo(400);
    assertThat(badReason.json().get("type").asText()).isEqualTo("urn:rotor:problem:bad-revocation-reason");
  }

  @Test
  void concurrent_issuances_share_commits() throws Exception {
    int n = 48;
    List<String> csrs = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      csrs.add(Csrs.workload("burst", "w" + i));
    }
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(n)) {
      List<java.util.concurrent.Future<Integer>> statuses = new java.util.ArrayList<>();
      for (String csr : csrs) {
        statuses.add(pool.submit(() -> {
          go.await();
          return server.issue(TestServer.ADMIN_TOKEN, csr, "workload", 600).status();
        }));
      }
      go.countDown();
      for (var f : statuses) {
        assertThat(f.get()).isEqualTo(201);
      }
    }
    // every certificate is recorded, and some transaction carried more than one of them
    assertThat(server.count("SELECT count(*) FROM certificates WHERE sans[1] LIKE 'spiffe://rotor.local/ns/burst/%'")).isEqualTo(n);
    String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(server.http("/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    double maxBatch = metrics.lines().filter(l -> l.startsWith("rotor_journal_batch_size_max"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).max().orElse(0);
    assertThat(maxBatch).isGreaterThan(1);
  }

  @Test
  void tokens_have_roles_and_are_shown_once() throws Exception {
    TestServer.Reply created = server.post("/api/v1/tokens", TestServer.ADMIN_TOKEN, Map.of("name", "ci-bot", "role", "operator"));
    assertThat(created.status()).isEqualTo(201);
    String operator = created.json().get("token").asText();
    assertThat(created.json().get("role").asText()).isEqualTo("operator");
    assertThat(operator).startsWith("rotor_").hasSizeGreaterThan(40);
    // stored hashed: the token text is nowhere in the database
    assertThat(server.count("SELECT count(*) FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%" + operator.substring(6, 20) + "%'")).isZero();
    assertThat(server.post("/api/v1/tokens", TestServer.ADMIN_TOKEN, Map.of("name", "ci-bot", "role", "viewer")).status()).isEqualTo(409);
    assertThat(server.post("/api/v1/tokens", TestServer.ADMIN_TOKEN, Map.of("name", "x", "role", "root")).status()).isEqualTo(400);
    assertThat(server.post("/api/v1/tokens", TestServer.ADMIN_TOKEN, Map.of("name", "bad name!", "role", "viewer")).status()).isEqualTo(400);

    // an operator issues and revokes but cannot create tokens
    TestServer.Reply issued = server.issue(operator, Csrs.workload("ops", "bot"), "workload", 600);
    assertThat(issued.status()).isEqualTo(201);
    assertThat(server.get("/api/v1/certificates/" + issued.json().get("serial").asText(), operator).json().get("requester").asText())
        .isEqualTo("token:ci-bot");
    assertThat(server.post("/api/v1/tokens", operator, Map.of("name", "escalate", "role", "admin")).status()).isEqualTo(403);
  }

  @Test
  void audit_log_records_actions_and_verifies() throws Exception {
    String serial = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("audit", "one"), "workload", 600).json().get("serial").asText();
    server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "superseded"));
    JsonNode page = server.get("/api/v1/audit?limit=5", TestServer.ADMIN_TOKEN).json();
    assertThat(page.get("items").get(0).get("action").asText()).isEqualTo("certificate.revoked");
    assertThat(page.get("items").get(0).get("target").asText()).isEqualTo(serial);
    assertThat(page.get("items").get(0).get("actor").asText()).isEqualTo("token:admin");
    assertThat(page.get("items").get(1).get("action").asText()).isEqualTo("certificate.issued");
    assertThat(page.get("items").get(1).get("details").get("profile").asText()).isEqualTo("workload");
    long first = page.get("items").get(0).get("seq").asLong();
    JsonNode next = server.get("/api/v1/audit?limit=5&cursor=" + page.get("next").asText(), TestServer.ADMIN_TOKEN).json();
    assertThat(next.get("items").get(0).get("seq").asLong()).isEqualTo(first - 5);

    JsonNode actions = server.get("/api/v1/audit?limit=1000", TestServer.ADMIN_TOKEN).json().get("items");
    List<String> names = new java.util.ArrayList<>();
    actions.forEach(a -> names.add(a.get("action").asText()));
    assertThat(names).contains("ca.created", "token.created", "certificate.issued", "certificate.revoked");

    JsonNode verify = server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json();
    assertThat(verify.get("ok").asBoolean()).isTrue();
    assertThat(verify.get("entries").asLong()).isEqualTo(server.count("SELECT count(*) FROM audit_log"));
  }

  @Test
  void public_endpoints_health_readiness_metrics_bundle() throws Exception {
    java.net.http.HttpClient plain = java.net.http.HttpClient.newHttpClient();
    var ready = plain.send(java.net.http.HttpRequest.newBuilder(server.http("/readyz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"database\":\"ok\"");
    var health = plain.send(java.net.http.HttpRequest.newBuilder(server.http("/healthz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("metrics", "one"), "workload", 600);
    var metrics = plain.send(java.net.http.HttpRequest.newBuilder(server.http("/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("rotor_issuances_total{channel=\"rest\",outcome=\"issued\",profile=\"workload\"}")
        .contains("rotor_issuance_seconds_bucket")
        .contains("hikaricp_connections_active");
    var bundle = plain.send(java.net.http.HttpRequest.newBuilder(server.http("/ca/bundle.pem")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(bundle.headers().firstValue("Content-Type")).hasValue("application/x-pem-file");
    X509Certificate root = TestServer.parse(bundle.body());
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getSubjectX500Principal()).isEqualTo(root.getIssuerX500Principal());
    // the API is not on the plain-HTTP port
    var api = plain.send(java.net.http.HttpRequest.newBuilder(server.http("/api/v1/certificates")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(api.statusCode()).isEqualTo(404);
    // the TLS port presents a certificate for localhost issued by the CA
    assertThat(server.server().serverCertificate().current().sans()).contains("localhost", "127.0.0.1");
    assertThat(URI.create(server.https("/healthz").toString()).getHost()).isEqualTo("localhost");
    assertThat(server.get("/healthz", null).status()).isEqualTo(200);
  }
}
