package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With the database gone, issuance answers 503 + Retry-After and records nothing; it resumes by itself. */
class DatabaseOutageIT {

  static EmbeddedPostgres startPostgres(Path dir, int port) throws Exception {
    return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).setPort(port).start();
  }

  @Test
  void fails_closed_while_the_database_is_down_and_recovers(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path pgDir = dir.resolve("pg");
    EmbeddedPostgres pg = startPostgres(pgDir, port);
    try (TestServer server = TestServer.start(Map.of("ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + port + "/postgres",
        "ROTOR_DB_USER", "postgres", "ROTOR_CA_PASSPHRASE", "outage-test"))) {
      assertThat(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("outage", "before"), "workload", 600).status()).isEqualTo(201);

      pg.close();
      TestServer.Reply down = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("outage", "during"), "workload", 600);
      assertThat(down.status()).as(down.body()).isEqualTo(503);
      assertThat(down.contentType()).isEqualTo("application/problem+json");
      assertThat(down.raw().headers().firstValue("Retry-After")).isPresent();
      assertThat(down.json().get("type").asText()).isEqualTo("urn:rotor:problem:unavailable");
      HttpClient plain = HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(plain.send(
          HttpRequest.newBuilder(server.http("/readyz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503));

      pg = startPostgres(pgDir, port);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
          assertThat(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("outage", "after"), "workload", 600).status()).isEqualTo(201));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(plain.send(
          HttpRequest.newBuilder(server.http("/readyz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200));
      // nothing from the outage was recorded: only the certificates whose issuance succeeded
      assertThat(server.count("SELECT count(*) FROM certificates WHERE sans[1] LIKE '%/ns/outage/sa/during'")).isZero();
      assertThat(server.count("SELECT count(*) FROM certificates WHERE sans[1] LIKE '%/ns/outage/%'")).isEqualTo(2);
      assertThat(server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json().get("ok").asBoolean()).isTrue();
    } finally {
      pg.close();
    }
  }
}
