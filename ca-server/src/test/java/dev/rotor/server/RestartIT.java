package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What survives a restart: certificates, revocations, the audit chain, the CA, tokens. */
class RestartIT {

  @Test
  void certificates_revocations_audit_and_ca_survive_a_restart() throws Exception {
    try (TestServer server = TestServer.start()) {
      String operator = server.token("restart-op", "operator");
      String kept = server.issue(operator, Csrs.workload("restart", "kept"), "workload", 900).json().get("serial").asText();
      String revoked = server.issue(operator, Csrs.workload("restart", "revoked"), "workload", 900).json().get("serial").asText();
      server.post("/api/v1/certificates/" + revoked + "/revoke", operator, Map.of("reason", "keyCompromise"));
      List<X509Certificate> bundleBefore = server.bundle();
      X509Certificate issuerBefore = server.server().ca().issuingCertificate();
      JsonNode verifyBefore = server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json();
      assertThat(verifyBefore.get("ok").asBoolean()).isTrue();

      // the generated CA passphrase is in the data dir, readable by the owner only
      assertThat(Files.getPosixFilePermissions(server.dataDir().resolve("ca-passphrase")))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      // and the CA keys in the database are encrypted PKCS#8, never plain
      assertThat(server.count("SELECT count(*) FROM certificate_authorities WHERE encrypted_key LIKE '-----BEGIN ENCRYPTED PRIVATE KEY-----%'")).isEqualTo(2);

      server.stop();
      server.startAgain();

      assertThat(server.bundle()).isEqualTo(bundleBefore);
      assertThat(server.server().ca().issuingCertificate()).isEqualTo(issuerBefore);
      assertThat(server.server().generatedAdminToken()).isEmpty();
      JsonNode k = server.get("/api/v1/certificates/" + kept, operator).json();
      assertThat(k.get("status").asText()).isEqualTo("active");
      JsonNode r = server.get("/api/v1/certificates/" + revoked, operator).json();
      assertThat(r.get("status").asText()).isEqualTo("revoked");
      assertThat(r.get("revocationReason").asText()).isEqualTo("keyCompromise");
      JsonNode verifyAfter = server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json();
      assertThat(verifyAfter.get("ok").asBoolean()).isTrue();
      // restart adds audit entries only for the new server certificate
      assertThat(verifyAfter.get("entries").asLong()).isEqualTo(verifyBefore.get("entries").asLong() + 1);
      // and issuance continues the same chain
      assertThat(server.issue(operator, Csrs.workload("restart", "after"), "workload", 900).status()).isEqualTo(201);
      assertThat(server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json().get("ok").asBoolean()).isTrue();
    }
  }

  @Test
  void the_embedded_database_commits_durably() throws Exception {
    try (TestServer server = TestServer.start();
         var c = server.sql(); var st = c.createStatement();
         var rs = st.executeQuery("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")) {
      java.util.Map<String, String> settings = new java.util.HashMap<>();
      while (rs.next()) {
        settings.put(rs.getString(1), rs.getString(2));
      }
      assertThat(settings).containsEntry("fsync", "on").containsEntry("synchronous_commit", "on").containsEntry("full_page_writes", "on");
    }
  }

  @Test
  void refuses_to_start_with_the_wrong_ca_passphrase() throws Exception {
    try (TestServer server = TestServer.start(Map.of("ROTOR_CA_PASSPHRASE", "correct horse battery staple"))) {
      assertThat(Files.exists(server.dataDir().resolve("ca-passphrase"))).isFalse();
      server.stop();
      ServerConfig wrong = ServerConfig.fromMap(Map.of(
          "ROTOR_DATA_DIR", server.dataDir().toString(), "ROTOR_HTTPS_PORT", 0, "ROTOR_HTTP_PORT", 0,
          "ROTOR_BIND", "127.0.0.1", "ROTOR_CA_PASSPHRASE", "wrong"));
      assertThatThrownBy(() -> RotorServer.start(wrong))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot decrypt the CA key");
      // the database still holds exactly one CA: no second CA was created
      ServerConfig right = ServerConfig.fromMap(Map.of(
          "ROTOR_DATA_DIR", server.dataDir().toString(), "ROTOR_HTTPS_PORT", 0, "ROTOR_HTTP_PORT", 0,
          "ROTOR_BIND", "127.0.0.1", "ROTOR_CA_PASSPHRASE", "correct horse battery staple"));
      try (RotorServer again = RotorServer.start(right)) {
        try (var c = again.database().connection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM certificate_authorities")) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(2);
        }
      }
    }
  }

  @Test
  void first_start_without_admin_token_generates_one_that_works() throws Exception {
    java.nio.file.Path dir = Files.createTempDirectory("rotor-it-");
    ServerConfig config = ServerConfig.fromMap(Map.of("ROTOR_DATA_DIR", dir.toString(), "ROTOR_HTTPS_PORT", 0,
        "ROTOR_HTTP_PORT", 0, "ROTOR_BIND", "127.0.0.1"));
    String token;
    try (RotorServer s = RotorServer.start(config)) {
      token = s.generatedAdminToken().orElseThrow();
      assertThat(token).startsWith("rotor_");
    }
    try (RotorServer s = RotorServer.start(config)) {
      assertThat(s.generatedAdminToken()).as("printed once, at first start only").isEmpty();
      var client = java.net.http.HttpClient.newBuilder().sslContext(TestServer.sslContext(List.of(s.ca().bundle().get(0)))).build();
      var r = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://localhost:" + s.httpsPort() + "/api/v1/certificates"))
          .header("Authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
