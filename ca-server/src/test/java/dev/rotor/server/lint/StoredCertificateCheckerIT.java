package dev.rotor.server.lint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.Csrs;
import dev.rotor.server.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checker job over the real server and database: every certificate the server issued (its own
 * HTTPS certificate included) passes; rows tampered with through the superuser connection are
 * reported by kind, counted in the metric, and shown on {@code GET /api/v1/ca/check} (admin only).
 */
class StoredCertificateCheckerIT {

  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static String issue(java.security.KeyPair key, String sa) throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN,
        Csrs.pem(key, "URI:spiffe://rotor.local/ns/check/sa/" + sa), "workload", 600);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("serial").asText();
  }

  private static void tamper(String sql, String serial) throws Exception {
    try (Connection c = server.sql(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, serial);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  @Test
  void issuedCertificatesPass_andTamperedRowsAreReported() throws Exception {
    String clean = issue(Csrs.ec("secp256r1"), "clean");
    String rsa = issue(Csrs.rsa(2048), "rsa");

    TestServer.Reply first = server.post("/api/v1/ca/check", TestServer.ADMIN_TOKEN, java.util.Map.of());
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    JsonNode r1 = first.json();
    assertThat(r1.get("checked").asLong()).as(first.body()).isGreaterThanOrEqualTo(3); // the server's own, clean, rsa
    assertThat(r1.get("mismatches").asLong()).as(first.body()).isZero();

    String lateNotAfter = issue(Csrs.ec("secp256r1"), "not-after");
    String otherSans = issue(Csrs.ec("secp256r1"), "sans");
    String garbage = issue(Csrs.ec("secp256r1"), "garbage");
    String ok = issue(Csrs.ec("secp256r1"), "ok");
    tamper("UPDATE certificates SET not_after = not_after + interval '1 day' WHERE serial = ?", lateNotAfter);
    tamper("UPDATE certificates SET sans = ARRAY['spiffe://rotor.local/ns/check/sa/someone-else'] WHERE serial = ?", otherSans);
    tamper("UPDATE certificates SET der = substring(der from 1 for 100) WHERE serial = ?", garbage);

    JsonNode r2 = server.post("/api/v1/ca/check", TestServer.ADMIN_TOKEN, java.util.Map.of()).json();
    assertThat(r2.get("checked").asLong()).isEqualTo(r1.get("checked").asLong() + 4);
    List<String> found = new ArrayList<>();
    for (JsonNode m : r2.get("recent")) {
      found.add(m.get("serial").asText() + ":" + m.get("kind").asText());
    }
    assertThat(found).containsExactlyInAnyOrder(lateNotAfter + ":not-after", otherSans + ":sans", garbage + ":unparseable");
    assertThat(found).noneMatch(f -> f.startsWith(ok + ":") || f.startsWith(clean + ":") || f.startsWith(rsa + ":"));
    assertThat(r2.get("mismatches").asLong()).isEqualTo(3);

    // GET shows the same report; the metric counts each kind.
    JsonNode r3 = server.get("/api/v1/ca/check", TestServer.ADMIN_TOKEN).json();
    assertThat(r3.get("mismatches").asLong()).isEqualTo(3);
    String metrics = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(server.http("/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("rotor_stored_certificate_mismatches_total{kind=\"not-after\"} 1.0")
        .contains("rotor_stored_certificate_mismatches_total{kind=\"unparseable\"} 1.0");

    // Operators may not read it.
    String operator = server.token("check-operator", "operator");
    assertThat(server.get("/api/v1/ca/check", operator).status()).isEqualTo(403);
  }
}
