package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.TestServer.Reply;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the admin UI relies on, over HTTPS without a browser: sessions and their cookie, CSRF,
 * security headers, and the read endpoints (summary, issuance series, agents, CA, filters).
 */
class UiApiIT {

  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    Path policy = Files.createTempFile("rotor-ui-policy", ".yaml");
    Files.writeString(policy, "nodes:\n  node-ui-1: [\"spiffe://rotor.local/ns/shop/*\"]\n");
    server = TestServer.start(Map.of("ROTOR_STATIC_POLICY", policy.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  record Session(String cookie, String csrf, JsonNode body) {}

  static Session login(String token) throws Exception {
    Reply r = server.post("/api/v1/session", null, Map.of("token", token));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    String setCookie = r.raw().headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).contains("HttpOnly").contains("Secure").contains("SameSite=Strict").contains("Path=/");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    return new Session(cookie, r.json().get("csrfToken").asText(), r.json());
  }

  static Reply withSession(Session s, String method, String path, Object json, boolean csrf) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Cookie", s.cookie());
    if (csrf) {
      headers.put("X-CSRF-Token", s.csrf());
    }
    return server.send(method, path, null, json == null ? null : "application/json",
        json == null ? null : TestServer.JSON.writeValueAsString(json), headers);
  }

  static String issue(String ns, String sa) throws Exception {
    Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload(ns, sa), "workload", 900);
    assertThat(r.status()).isEqualTo(201);
    return r.json().get("serial").asText();
  }

  @Test
  void login_gives_a_session_whose_changes_need_the_csrf_token() throws Exception {
    Session s = login(TestServer.ADMIN_TOKEN);
    assertThat(s.body().get("role").asText()).isEqualTo("admin");
    assertThat(s.body().get("name").asText()).isEqualTo("token:admin");
    assertThat(s.body().get("idleSeconds").asLong()).isEqualTo(1800);
    // The session's token is stored hashed: the cookie value is not in the database.
    String id = s.cookie().substring(s.cookie().indexOf('=') + 1);
    assertThat(server.count("SELECT count(*) FROM ui_sessions WHERE encode(id_hash, 'escape') LIKE '%" + id + "%'")).isZero();

    Reply current = withSession(s, "GET", "/api/v1/session", null, false);
    assertThat(current.status()).isEqualTo(200);
    assertThat(current.json().get("csrfToken").asText()).isEqualTo(s.csrf());

    String serial = issue("ui", "csrf");
    Reply noCsrf = withSession(s, "POST", "/api/v1/certificates/" + serial + "/revoke", Map.of("reason", "superseded"), false);
    assertThat(noCsrf.status()).isEqualTo(403);
    assertThat(noCsrf.json().get("type").asText()).isEqualTo("urn:rotor:problem:csrf");
    Map<String, String> wrong = Map.of("Cookie", s.cookie(), "X-CSRF-Token", "not-the-token");
    assertThat(server.send("POST", "/api/v1/certificates/" + serial + "/revoke", null, "application/json",
        "{\"reason\":\"superseded\"}", wrong).status()).isEqualTo(403);
    assertThat(server.get("/api/v1/certificates/" + serial, TestServer.ADMIN_TOKEN).json().get("status").asText()).isEqualTo("active");

    Reply ok = withSession(s, "POST", "/api/v1/certificates/" + serial + "/revoke", Map.of("reason", "superseded"), true);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    // Audited under the token that logged in.
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificate.revoked' AND target = '" + serial
        + "' AND actor = 'token:admin'")).isEqualTo(1);
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'login' AND actor = 'token:admin'")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void bad_logins_and_ended_or_expired_sessions_are_401() throws Exception {
    assertThat(server.post("/api/v1/session", null, Map.of("token", "rotor_wrong")).status()).isEqualTo(401);
    assertThat(server.post("/api/v1/session", null, Map.of("nothing", "here")).status()).isEqualTo(400);
    assertThat(server.send("POST", "/api/v1/session", null, "application/json", "{not json", Map.of()).status()).isEqualTo(400);
    assertThat(server.send("GET", "/api/v1/summary", null, null, null, Map.of("Cookie", "rotor_session=forged")).status()).isEqualTo(401);

    Session s = login(TestServer.ADMIN_TOKEN);
    assertThat(withSession(s, "DELETE", "/api/v1/session", null, false).status()).isEqualTo(403);
    Reply out = withSession(s, "DELETE", "/api/v1/session", null, true);
    assertThat(out.status()).isEqualTo(204);
    assertThat(out.raw().headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
    assertThat(withSession(s, "GET", "/api/v1/summary", null, false).status()).isEqualTo(401);

    Session idle = login(TestServer.ADMIN_TOKEN);
    try (var c = server.sql(); var st = c.createStatement()) {
      st.executeUpdate("UPDATE ui_sessions SET expires_at = now() - interval '1 second'");
    }
    Reply expired = withSession(idle, "GET", "/api/v1/summary", null, false);
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.json().get("detail").asText()).contains("log in again");
  }

  @Test
  void a_viewer_session_reads_but_may_not_revoke() throws Exception {
    Session viewer = login(server.token("ui-api-viewer", "viewer"));
    String serial = issue("ui", "viewer");
    assertThat(withSession(viewer, "GET", "/api/v1/certificates/" + serial, null, false).status()).isEqualTo(200);
    Reply r = withSession(viewer, "POST", "/api/v1/certificates/" + serial + "/revoke", Map.of("reason", "superseded"), true);
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("type").asText()).isEqualTo("urn:rotor:problem:forbidden");
  }

  @Test
  void ui_assets_carry_security_headers_and_stay_inside_their_folder() throws Exception {
    Reply index = server.send("GET", "/ui/", null, null, null);
    assertThat(index.status()).isEqualTo(200);
    assertThat(index.contentType()).startsWith("text/html");
    assertThat(index.body()).contains("app.js").doesNotContain("<script>");
    String csp = index.raw().headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
    assertThat(index.raw().headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(index.raw().headers().firstValue("X-Frame-Options")).hasValue("DENY");

    assertThat(server.send("GET", "/ui", null, null, null).raw().headers().firstValue("Location")).hasValue("/ui/");
    Reply js = server.send("GET", "/ui/app.js", null, null, null);
    assertThat(js.contentType()).startsWith("text/javascript");
    Reply chart = server.send("GET", "/ui/vendor/uplot/uPlot.esm.js", null, null, null);
    assertThat(chart.status()).isEqualTo(200);
    assertThat(chart.body()).contains("uPlot");
    for (String bad : List.of("/ui/%2e%2e/META-INF/MANIFEST.MF", "/ui/..%2f..%2fetc%2fpasswd", "/ui/nope.js", "/ui/app.class",
        "/ui/vendor/uplot/..%2f..%2fpom.properties")) {
      assertThat(server.send("GET", bad, null, null, null).status()).as(bad).isIn(400, 404);
    }
  }

  @Test
  void summary_and_series_count_what_was_issued_and_revoked() throws Exception {
    JsonNode before = server.get("/api/v1/summary", TestServer.ADMIN_TOKEN).json();
    long seriesBefore = seriesTotal();
    issue("ui", "summary-a");
    String b = issue("ui", "summary-b");
    Reply shortLived = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("ui", "summary-c"), "workload", 600);
    assertThat(shortLived.status()).isEqualTo(201);
    server.post("/api/v1/certificates/" + b + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", "superseded"));
    Thread.sleep(2_100); // the summary is cached for 2 s
    JsonNode after = server.get("/api/v1/summary", TestServer.ADMIN_TOKEN).json();
    assertThat(after.at("/certificates/active").asLong() - before.at("/certificates/active").asLong()).isEqualTo(2);
    assertThat(after.at("/certificates/revoked").asLong() - before.at("/certificates/revoked").asLong()).isEqualTo(1);
    assertThat(after.at("/certificates/revoked").asLong())
        .isEqualTo(server.count("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL"));
    assertThat(after.at("/certificates/active").asLong()).isEqualTo(
        server.count("SELECT count(*) FROM certificates WHERE revoked_at IS NULL AND not_after > now()"));
    assertThat(seriesTotal() - seriesBefore).isEqualTo(3);

    Reply refused = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("ui", "too-long"), "workload", 86_400);
    assertThat(refused.status()).isEqualTo(400);
    Thread.sleep(2_100);
    JsonNode failures = server.get("/api/v1/summary", TestServer.ADMIN_TOKEN).json().get("recentFailures");
    assertThat(failures.get(0).get("code").asText()).isEqualTo("bad-ttl");
    assertThat(failures.get(0).get("requester").asText()).isEqualTo("token:admin");
    assertThat(failures.get(0).get("door").asText()).isEqualTo("rest");

    assertThat(server.get("/api/v1/stats/issuance?minutes=0", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/stats/issuance?minutes=abc", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/summary", null).status()).isEqualTo(401);
  }

  static long seriesTotal() throws Exception {
    JsonNode points = server.get("/api/v1/stats/issuance?minutes=60", TestServer.ADMIN_TOKEN).json().get("points");
    assertThat(points).hasSize(60);
    long total = 0;
    for (JsonNode p : points) {
      total += p.get("issued").asLong();
    }
    return total;
  }

  @Test
  void certificates_filter_by_profile_and_door_and_audit_by_action_and_actor() throws Exception {
    String serial = issue("ui", "filters");
    JsonNode rest = server.get("/api/v1/certificates?door=rest&profile=workload&q=ui/sa/filters", TestServer.ADMIN_TOKEN).json();
    assertThat(rest.get("items")).hasSize(1);
    assertThat(rest.get("items").get(0).get("serial").asText()).isEqualTo(serial);
    assertThat(server.get("/api/v1/certificates?door=agent&q=ui/sa/filters", TestServer.ADMIN_TOKEN).json().get("items")).isEmpty();
    assertThat(server.get("/api/v1/certificates?door=carrier-pigeon", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/certificates?profile=nope", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    JsonNode server = UiApiIT.server.get("/api/v1/certificates?profile=server", TestServer.ADMIN_TOKEN).json();
    assertThat(server.get("items").size()).isGreaterThanOrEqualTo(1);

    JsonNode issued = UiApiIT.server.get("/api/v1/audit?action=certificate.issued&actor=token:admin&limit=1000", TestServer.ADMIN_TOKEN).json();
    assertThat(issued.get("items")).isNotEmpty().allSatisfy(e -> {
      assertThat(e.get("action").asText()).isEqualTo("certificate.issued");
      assertThat(e.get("actor").asText()).isEqualTo("token:admin");
    });
    JsonNode prefix = UiApiIT.server.get("/api/v1/audit?action=token.*", TestServer.ADMIN_TOKEN).json();
    assertThat(prefix.get("items")).isNotEmpty().allSatisfy(e -> assertThat(e.get("action").asText()).startsWith("token."));
    assertThat(UiApiIT.server.get("/api/v1/audit?action=%25", TestServer.ADMIN_TOKEN).json().get("items")).isEmpty();
  }

  @Test
  void certificate_detail_decodes_every_field() throws Exception {
    String serial = issue("ui", "fields");
    JsonNode f = server.get("/api/v1/certificates/" + serial, TestServer.ADMIN_TOKEN).json().get("fields");
    assertThat(f.get("serial").asText()).isEqualTo(serial);
    assertThat(f.get("publicKey").get("curve").asText()).isEqualTo("P-256");
    assertThat(f.get("subjectAlternativeNames").get(0).get("value").asText()).isEqualTo("spiffe://rotor.local/ns/ui/sa/fields");
    assertThat(f.get("extendedKeyUsage").toString()).contains("clientAuth");
    assertThat(f.get("basicConstraints").asText()).isEqualTo("CA:false");
    assertThat(f.get("crlDistributionPoints").get(0).asText()).matches(".*/crl/[0-9]+"); // one CRL per issuing CA
    assertThat(f.get("authorityInformationAccess").get("ocsp").asText()).endsWith("/ocsp");
    assertThat(f.get("sha256Fingerprint").asText()).hasSize(95);
  }

  @Test
  void agents_and_ca_describe_the_fleet_and_the_hierarchy() throws Exception {
    String operator = server.token("ui-agents-op", "operator");
    Reply join = server.post("/api/v1/join-tokens", operator, Map.of("node", "node-ui-1", "ttlSeconds", 600));
    assertThat(join.status()).isEqualTo(201);
    KeyPair keys = Csrs.ec("secp256r1");
    Reply attest = server.post("/agent/v1/attest", null, Map.of("method", "join", "token", join.json().get("token").asText(),
        "csr", Csrs.pem(keys)));
    assertThat(attest.status()).as(attest.body()).isEqualTo(201);
    HttpClient mtls = server.mtlsClient(keys.getPrivate(), attest.json().get("chain").asText());
    Reply signed = server.post(mtls, "/agent/v1/workloads/sign", Map.of("csr", Csrs.pem(Csrs.ec("secp256r1")),
        "spiffeId", "spiffe://rotor.local/ns/shop/sa/cart", "target", "secret:shop/cart-tls"));
    assertThat(signed.status()).as(signed.body()).isEqualTo(201);
    Reply badTarget = server.post(mtls, "/agent/v1/workloads/sign", Map.of("csr", Csrs.pem(Csrs.ec("secp256r1")),
        "spiffeId", "spiffe://rotor.local/ns/shop/sa/cart", "target", "secret:../../etc"));
    assertThat(badTarget.status()).isEqualTo(400);

    JsonNode agents = server.get("/api/v1/agents", TestServer.ADMIN_TOKEN).json();
    JsonNode a = agents.get("items").get(0);
    assertThat(a.get("node").asText()).isEqualTo("node-ui-1");
    assertThat(a.get("identity").asText()).isEqualTo("spiffe://rotor.local/agent/k8s/node-ui-1");
    assertThat(a.get("state").asText()).isEqualTo("seen");
    JsonNode one = server.get("/api/v1/agents/node-ui-1", TestServer.ADMIN_TOKEN).json();
    assertThat(one.get("identities").toString()).contains("spiffe://rotor.local/ns/shop/sa/cart");
    assertThat(one.get("targets")).hasSize(1);
    assertThat(one.get("targets").get(0).get("target").asText()).isEqualTo("secret:shop/cart-tls");
    assertThat(one.get("targets").get(0).get("identity").asText()).isEqualTo("spiffe://rotor.local/ns/shop/sa/cart");
    assertThat(server.get("/api/v1/agents/node-nope", TestServer.ADMIN_TOKEN).status()).isEqualTo(404);

    JsonNode ca = server.get("/api/v1/ca", TestServer.ADMIN_TOKEN).json();
    assertThat(ca.get("certificates")).hasSize(2);
    assertThat(ca.get("certificates").get(0).get("role").asText()).isEqualTo("issuing");
    assertThat(ca.get("certificates").get(1).get("role").asText()).isEqualTo("root");
    assertThat(ca.get("certificates").get(0).get("sha256Fingerprint").asText())
        .isEqualTo(dev.rotor.server.api.CertificateFields.fingerprint(server.server().ca().issuingCertificate().getEncoded(), "SHA-256"));
    assertThat(ca.get("crlUrl").asText()).endsWith("/crl");
  }
}
