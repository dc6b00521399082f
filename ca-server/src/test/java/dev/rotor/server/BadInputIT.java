package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.pki.Pem;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input gets a 4xx application/problem+json with type, title, status and detail,
 * and changes nothing: no certificate, no audit entry, no revocation.
 */
class BadInputIT {

  static TestServer server;
  static String viewer;
  static String victimSerial;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    viewer = server.token("viewer-1", "viewer");
    victimSerial = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("victim", "one"), "workload", 600).json().get("serial").asText();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** One bad request. */
  record Case(String method, String path, String token, String contentType, String body) {}

  static String json(Map<String, Object> m) throws Exception {
    return TestServer.JSON.writeValueAsString(m);
  }

  static String issueBody(String csr, String profile, Integer ttl) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("csr", csr);
    m.put("profile", profile);
    if (ttl != null) {
      m.put("ttlSeconds", ttl);
    }
    return json(m);
  }

  static Case issue(String body) {
    return new Case("POST", "/api/v1/certificates", TestServer.ADMIN_TOKEN, "application/json", body);
  }

  static Stream<Arguments> cases() throws Exception {
    KeyPair p256 = Csrs.ec("secp256r1");
    String good = Csrs.pem(p256, "URI:spiffe://rotor.local/ns/a/sa/b");
    byte[] der = Csrs.der(p256, "SHA256withECDSA", "URI:spiffe://rotor.local/ns/a/sa/b");
    byte[] tampered = der.clone();
    tampered[tampered.length - 5] ^= 0x01; // inside the signature
    String badSignature = Pem.encode("CERTIFICATE REQUEST", tampered);
    String rsa1024 = Csrs.pem(Csrs.rsa(1024), "URI:spiffe://rotor.local/ns/a/sa/b");
    String smallFactor = Csrs.pem(Csrs.rsaWithSmallFactor(), "URI:spiffe://rotor.local/ns/a/sa/b");
    String p521 = Pem.encode("CERTIFICATE REQUEST", Csrs.der(Csrs.ec("secp521r1"), "SHA512withECDSA", "URI:spiffe://rotor.local/ns/a/sa/b"));
    String foreignDomain = Csrs.pem(p256, "URI:spiffe://evil.example/ns/a/sa/b");
    String outsideDns = Csrs.pem(p256, "URI:spiffe://rotor.local/ns/a/sa/b", "DNS:www.example.com");
    String suffixTrick = Csrs.pem(p256, "URI:spiffe://rotor.local/ns/a/sa/b", "DNS:evilsvc.cluster.local");
    String noSans = Csrs.pem(p256);
    String bigBody = "{\"csr\":\"" + "A".repeat(70 * 1024) + "\"}";
    return Stream.of(
        Arguments.of("fail/malformed-json", issue("{\"csr\": \"abc\""), 400, "malformed-request"),
        // Leading NULs make Jackson read UTF-32; the invalid code point was a 500 (JsonBodyFuzzTest).
        Arguments.of("fail/json-invalid-utf32", issue("\0".repeat(10) + "c\"\u0005{\"csr\": \u0001" + "\0".repeat(13) + "c\"}"), 400, "malformed-request"),
        Arguments.of("fail/json-not-object", issue("[1,2,3]"), 400, "malformed-request"),
        Arguments.of("fail/unknown-field", issue("{\"csr\":\"x\",\"sudo\":true}"), 400, "malformed-request"),
        Arguments.of("fail/empty-body", issue(""), 400, "malformed-request"),
        Arguments.of("fail/ttl-not-integer", issue("{\"csr\":\"x\",\"ttlSeconds\":\"soon\"}"), 400, "malformed-request"),
        Arguments.of("fail/wrong-content-type", new Case("POST", "/api/v1/certificates", TestServer.ADMIN_TOKEN, "text/plain", issueBody(good, "workload", 600)), 415, "unsupported-media-type"),
        Arguments.of("fail/body-over-64k", issue(bigBody), 413, "body-too-large"),
        Arguments.of("fail/missing-csr", issue("{\"profile\":\"workload\"}"), 400, "malformed-request"),
        Arguments.of("fail/csr-not-pem", issue(issueBody("hello, I am a CSR", "workload", 600)), 400, "bad-csr"),
        Arguments.of("fail/csr-garbage-der", issue(issueBody(Pem.encode("CERTIFICATE REQUEST", new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}), "workload", 600)), 400, "bad-csr"),
        Arguments.of("fail/csr-base64-garbage", issue(issueBody("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n", "workload", 600)), 400, "bad-csr"),
        Arguments.of("fail/csr-bad-signature", issue(issueBody(badSignature, "workload", 600)), 400, "bad-csr"),
        Arguments.of("fail/rsa-1024", issue(issueBody(rsa1024, "workload", 600)), 400, "bad-public-key"),
        Arguments.of("fail/rsa-small-factor", issue(issueBody(smallFactor, "workload", 600)), 400, "bad-public-key"),
        Arguments.of("fail/ec-p521", issue(issueBody(p521, "workload", 600)), 400, "bad-public-key"),
        Arguments.of("fail/foreign-trust-domain", issue(issueBody(foreignDomain, "workload", 600)), 400, "rejected-identifier"),
        Arguments.of("fail/dns-outside-suffixes", issue(issueBody(outsideDns, "workload", 600)), 400, "rejected-identifier"),
        Arguments.of("fail/dns-suffix-not-on-label-boundary", issue(issueBody(suffixTrick, "workload", 600)), 400, "rejected-identifier"),
        Arguments.of("fail/no-sans", issue(issueBody(noSans, "workload", 600)), 400, "rejected-identifier"),
        Arguments.of("fail/ttl-above-max", issue(issueBody(good, "workload", 3600)), 400, "bad-ttl"),
        Arguments.of("fail/ttl-below-min", issue(issueBody(good, "workload", 60)), 400, "bad-ttl"),
        Arguments.of("fail/ttl-negative", issue(issueBody(good, "workload", -5)), 400, "bad-ttl"),
        Arguments.of("fail/unknown-profile", issue(issueBody(good, "superuser", 600)), 400, "unknown-profile"),
        Arguments.of("fail/internal-server-profile", issue(issueBody(good, "server", 600)), 400, "unknown-profile"),
        Arguments.of("fail/missing-token", new Case("POST", "/api/v1/certificates", null, "application/json", issueBody(good, "workload", 600)), 401, "unauthenticated"),
        Arguments.of("fail/invalid-token", new Case("POST", "/api/v1/certificates", "rotor_not-a-real-token", "application/json", issueBody(good, "workload", 600)), 401, "unauthenticated"),
        Arguments.of("fail/basic-auth", new Case("GET", "/api/v1/certificates", null, null, null), 401, "unauthenticated"),
        Arguments.of("fail/viewer-issues", new Case("POST", "/api/v1/certificates", "VIEWER", "application/json", issueBody(good, "workload", 600)), 403, "forbidden"),
        Arguments.of("fail/viewer-revokes", new Case("POST", "/api/v1/certificates/VICTIM/revoke", "VIEWER", "application/json", json(Map.of("reason", "keyCompromise"))), 403, "forbidden"),
        Arguments.of("fail/viewer-creates-token", new Case("POST", "/api/v1/tokens", "VIEWER", "application/json", json(Map.of("name", "x", "role", "admin"))), 403, "forbidden"),
        Arguments.of("fail/revoke-bad-reason", new Case("POST", "/api/v1/certificates/VICTIM/revoke", TestServer.ADMIN_TOKEN, "application/json", json(Map.of("reason", "removeFromCRL"))), 400, "bad-revocation-reason"),
        Arguments.of("fail/revoke-malformed", new Case("POST", "/api/v1/certificates/VICTIM/revoke", TestServer.ADMIN_TOKEN, "application/json", "{"), 400, "malformed-request"),
        Arguments.of("fail/method-not-allowed", new Case("DELETE", "/api/v1/certificates", TestServer.ADMIN_TOKEN, null, null), 405, "method-not-allowed"),
        Arguments.of("fail/no-such-route", new Case("GET", "/api/v2/anything", TestServer.ADMIN_TOKEN, null, null), 404, "not-found"));
  }

  @org.junit.jupiter.api.Test
  void no_client_input_gets_a_server_error() throws Exception {
    // Mutations of a valid request: flipped bytes in the CSR's DER, truncations, junk JSON values.
    java.util.Random random = new java.util.Random(20261123);
    byte[] der = Csrs.der(Csrs.ec("secp256r1"), "SHA256withECDSA", "URI:spiffe://rotor.local/ns/fuzz/sa/one");
    long certs = server.count("SELECT count(*) FROM certificates");
    for (int i = 0; i < 150; i++) {
      byte[] mutated = java.util.Arrays.copyOf(der, i % 10 == 0 ? random.nextInt(der.length) : der.length);
      for (int flips = 1 + random.nextInt(3); flips > 0 && mutated.length > 0; flips--) {
        mutated[random.nextInt(mutated.length)] ^= (byte) (1 + random.nextInt(255));
      }
      Object ttl = switch (i % 5) {
        case 0 -> "x";
        case 1 -> -1;
        case 2 -> Long.MAX_VALUE;
        case 3 -> 600.5;
        default -> 600;
      };
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("csr", Pem.encode("CERTIFICATE REQUEST", mutated));
      body.put("profile", i % 7 == 0 ? "\u0000" : "workload");
      body.put("ttlSeconds", ttl);
      TestServer.Reply r = server.post("/api/v1/certificates", TestServer.ADMIN_TOKEN, body);
      assertThat(r.status()).as("mutation %d: %s", i, r.body()).isBetween(400, 499);
      assertThat(r.contentType()).isEqualTo("application/problem+json");
    }
    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(certs);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void bad_input_gets_a_problem_and_changes_nothing(String name, Case c, int status, String type) throws Exception {
    long certs = server.count("SELECT count(*) FROM certificates");
    long audit = server.count("SELECT count(*) FROM audit_log");
    long revoked = server.count("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL");
    String token = "VIEWER".equals(c.token()) ? viewer : c.token();
    String path = c.path().replace("VICTIM", victimSerial);
    TestServer.Reply r = server.send(c.method(), path, token, c.contentType(), c.body());

    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    JsonNode p = r.json();
    assertThat(p.get("type").asText()).isEqualTo("urn:rotor:problem:" + type);
    assertThat(p.get("title").asText()).isNotBlank();
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("detail").asText()).isNotBlank();

    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(certs);
    assertThat(server.count("SELECT count(*) FROM audit_log")).isEqualTo(audit);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL")).isEqualTo(revoked);
  }

}
