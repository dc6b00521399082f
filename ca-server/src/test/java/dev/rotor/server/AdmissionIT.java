package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.server.TestServer.Reply;
import dev.rotor.server.api.AdmissionGate;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load shedding at the admission gate, against the real server: the issuing routes admit one
 * request at a time with eight waiting. Saturation is made deterministic by holding the audit
 * head's row lock from the test, so that the admitted request cannot commit until released.
 */
class AdmissionIT {

  private static final int MAX_CONCURRENT = 1;
  private static final int MAX_QUEUED = 8;
  private static TestServer server;
  private static HttpClient agent;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, """
        nodes:
          herd-1: ["spiffe://rotor.local/ns/web/*"]
        """);
    server = TestServer.start(Map.of("ROTOR_STATIC_POLICY", policy.toString(),
        "ROTOR_ADMISSION_MAX_CONCURRENT", MAX_CONCURRENT, "ROTOR_ADMISSION_MAX_QUEUED", MAX_QUEUED,
        "ROTOR_ADMISSION_MAX_WAIT", "30s", "ROTOR_ADMISSION_MAX_RETRY_AFTER", "20s"));
    String operator = server.token("ops", "operator");
    Reply t = server.post("/api/v1/join-tokens", operator, Map.of("node", "herd-1"));
    assertThat(t.status()).as(t.body()).isEqualTo(201);
    KeyPair keys = Csrs.ec("secp256r1");
    Reply a = server.post("/agent/v1/attest", null, Map.of("method", "join", "token", t.json().get("token").asText(), "csr", Csrs.pem(keys)));
    assertThat(a.status()).as(a.body()).isEqualTo(201);
    agent = server.mtlsClient(keys.getPrivate(), a.json().get("chain").asText());
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void beyond_the_admitted_and_queued_requests_are_shed_at_once_with_retry_after_and_the_rest_succeed() throws Exception {
    int n = 40;
    long before = server.count("SELECT count(*) FROM certificates");
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    List<Long> shedMillis = new ArrayList<>();
    try (Connection lock = holdAuditHead()) {
      for (int i = 0; i < n; i++) {
        long sent = System.nanoTime();
        calls.add(agent.sendAsync(sign("spiffe://rotor.local/ns/web/sa/shed-" + i, null), HttpResponse.BodyHandlers.ofString())
            .whenComplete((r, e) -> {
              if (r != null && r.statusCode() == 429) {
                synchronized (shedMillis) {
                  shedMillis.add((System.nanoTime() - sent) / 1_000_000);
                }
              }
            }));
      }
      int shed = n - MAX_CONCURRENT - MAX_QUEUED;
      // Everything beyond one in flight and eight waiting is refused while the others still wait.
      await().atMost(Duration.ofSeconds(20)).until(() -> calls.stream().filter(CompletableFuture::isDone).count() == shed);
      assertThat(calls.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join))
          .allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(TestServer.JSON.readTree(r.body()).get("type").asText()).isEqualTo("urn:rotor:problem:overloaded");
            assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 20L);
          });
      // The server stays ready while saturated.
      HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.http("/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      assertThat(metric("rotor_admission_queued")).isEqualTo(MAX_QUEUED);
      assertThat(metric("rotor_admission_requests_total{outcome=\"exceeded\"}")).isGreaterThanOrEqualTo(shed);
      lock.rollback();
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    List<String> serials = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      HttpResponse<String> r = c.join();
      if (r.statusCode() == 201) {
        serials.add(TestServer.JSON.readTree(r.body()).get("serial").asText());
      }
    }
    assertThat(serials).hasSize(MAX_CONCURRENT + MAX_QUEUED);
    // Nothing issued without its record, nothing recorded that was refused.
    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(before + serials.size());
    for (String s : serials) {
      assertThat(server.count("SELECT count(*) FROM certificates WHERE serial = '" + s + "'")).isEqualTo(1);
    }
    assertThat(shedMillis).hasSize(n - MAX_CONCURRENT - MAX_QUEUED);
  }

  @Test
  void waiting_requests_are_served_soonest_expiry_first() throws Exception {
    Instant now = Instant.now();
    // Sent in this order; the claimed notAfter of the certificate each replaces differs.
    Map<String, Duration> queued = new LinkedHashMap<>();
    queued.put("in-10m", Duration.ofMinutes(10));
    queued.put("in-1m", Duration.ofMinutes(1));
    queued.put("in-30m", Duration.ofMinutes(30));
    queued.put("expired", Duration.ofMinutes(-1));
    queued.put("in-5m", Duration.ofMinutes(5));
    queued.put("unknown", null);
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    try (Connection lock = holdAuditHead()) {
      double admitted = metric("rotor_admission_requests_total{outcome=\"all\"}");
      calls.add(agent.sendAsync(sign("spiffe://rotor.local/ns/web/sa/prio-first", null), HttpResponse.BodyHandlers.ofString()));
      await().atMost(Duration.ofSeconds(10)).until(() -> metric("rotor_admission_requests_total{outcome=\"all\"}") > admitted);
      int i = 0;
      for (Map.Entry<String, Duration> q : queued.entrySet()) {
        String claimed = q.getValue() == null ? null : now.plus(q.getValue()).toString();
        calls.add(agent.sendAsync(sign("spiffe://rotor.local/ns/web/sa/prio-" + q.getKey(), claimed), HttpResponse.BodyHandlers.ofString()));
        int waiting = ++i;
        // One at a time into the queue, so that arrival order cannot explain the result.
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("rotor_admission_queued") == waiting);
      }
      lock.rollback();
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertThat(calls).allSatisfy(c -> assertThat(c.join().statusCode()).as(c.join().body()).isEqualTo(201));
    List<String> order = new ArrayList<>();
    try (Connection c = server.sql(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT sans FROM certificates WHERE array_to_string(sans, ',') LIKE '%/sa/prio-%' ORDER BY id")) {
      while (rs.next()) {
        String san = String.join(",", (String[]) rs.getArray(1).getArray());
        order.add(san.substring(san.indexOf("/sa/prio-") + "/sa/prio-".length()));
      }
    }
    assertThat(order).containsExactly("first", "expired", "in-1m", "in-5m", "in-10m", "in-30m", "unknown");
  }

  @Test
  void reads_pass_the_gate_while_issuance_is_saturated() throws Exception {
    try (Connection lock = holdAuditHead()) {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < MAX_CONCURRENT + MAX_QUEUED + 5; i++) {
        calls.add(agent.sendAsync(HttpRequest.newBuilder(server.https("/agent/v1/bundle")).GET().build(), HttpResponse.BodyHandlers.ofString()));
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
      assertThat(calls).allSatisfy(c -> assertThat(c.join().statusCode()).isEqualTo(200));
      lock.rollback();
    }
  }

  private static HttpRequest sign(String spiffeId, String currentNotAfter) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", Csrs.pem(Csrs.ec("secp256r1")));
    body.put("spiffeId", spiffeId);
    HttpRequest.Builder b = HttpRequest.newBuilder(server.https("/agent/v1/workloads/sign")).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(TestServer.JSON.writeValueAsString(body)));
    if (currentNotAfter != null) {
      b.header(AdmissionGate.CURRENT_NOT_AFTER, currentNotAfter);
    }
    return b.build();
  }

  /** Takes the audit head's row lock in an open transaction: no issuance commits until it ends. */
  private static Connection holdAuditHead() throws Exception {
    Connection c = server.sql();
    c.setAutoCommit(false);
    try (PreparedStatement st = c.prepareStatement("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")) {
      st.executeQuery().close();
    }
    return c;
  }

  private static double metric(String name) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.http("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    for (String line : r.body().replace(",}", "}").split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no metric " + name + " in /metrics");
  }
}
