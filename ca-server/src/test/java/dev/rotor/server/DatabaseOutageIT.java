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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the database gone, issuance answers 503 + Retry-After and records nothing; it resumes by
 * itself. Also under concurrent load, where the database disappears between the pre-record and
 * the final record of some issuances.
 */
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

  /** One answer a load client got: status, and for a 201 the serial and certificate. */
  record Answer(int status, boolean retryAfter, String contentType, String serial, byte[] der) {}

  @Test
  void under_concurrent_load_an_outage_gives_only_503s_with_retry_after_and_nothing_unrecorded(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path pgDir = dir.resolve("pg");
    EmbeddedPostgres pg = startPostgres(pgDir, port);
    try (TestServer server = TestServer.start(Map.of("ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + port + "/postgres",
        "ROTOR_DB_USER", "postgres", "ROTOR_CA_PASSPHRASE", "outage-test", "ROTOR_PRECERT_GRACE", "1s"))) {
      List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
      List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      for (int t = 0; t < 8; t++) {
        int thread = t;
        clients.submit(() -> {
          for (int i = 0; !stop.get(); i++) {
            try {
              TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("load", "c" + thread + "-" + i), "workload", 600);
              boolean ok = r.status() == 201;
              answers.add(new Answer(r.status(), r.raw().headers().firstValue("Retry-After").isPresent(), r.contentType(),
                  ok ? r.json().get("serial").asText() : null,
                  ok ? TestServer.parse(r.json().get("certificate").asText()).getEncoded() : null));
              if (!ok) {
                Thread.sleep(100); // a client honouring Retry-After loosely
              }
            } catch (Throwable e) {
              failures.add(e);
            }
          }
        });
      }
      // Streams over a synchronized list are not synchronized: count over a copy (toArray is).
      await().atMost(Duration.ofSeconds(30)).until(() -> List.copyOf(answers).stream().filter(a -> a.status() == 201).count() >= 50);
      pg.close(); // the database goes away under load (a failover's first half)
      await().atMost(Duration.ofSeconds(30)).until(() -> List.copyOf(answers).stream().filter(a -> a.status() == 503).count() >= 20);
      pg = startPostgres(pgDir, port); // and comes back on the same address
      int before = answers.size();
      await().atMost(Duration.ofSeconds(60)).until(() ->
          List.copyOf(answers).stream().skip(before).filter(a -> a.status() == 201).count() >= 50);
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      assertThat(failures).as("requests that got no HTTP answer").isEmpty();
      List<Answer> all = List.copyOf(answers);
      assertThat(all).extracting(Answer::status).as("no 500s or other statuses").containsOnly(201, 503);
      assertThat(all).filteredOn(a -> a.status() == 503).allSatisfy(a -> {
        assertThat(a.retryAfter()).isTrue();
        assertThat(a.contentType()).isEqualTo("application/problem+json");
      });
      // every certificate a client received is recorded, byte for byte, with its audit entry
      for (Answer a : all) {
        if (a.status() == 201) {
          try (var c = server.sql(); var ps = c.prepareStatement("SELECT der FROM certificates WHERE serial = ?")) {
            ps.setString(1, a.serial());
            try (var rs = ps.executeQuery()) {
              assertThat(rs.next()).as("certificate %s recorded", a.serial()).isTrue();
              assertThat(rs.getBytes(1)).isEqualTo(a.der());
            }
          }
          assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificate.issued' AND target = '"
              + a.serial() + "'")).isEqualTo(1);
        }
      }
      // every issuance the outage cut off between pre-record and final record is resolved and audited
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(server.count("SELECT count(*) FROM precertificates WHERE abandoned_at IS NULL")).isZero());
      assertThat(server.count("SELECT count(*) FROM precertificates p WHERE NOT EXISTS (SELECT 1 FROM audit_log a"
          + " WHERE a.action = 'certificate.abandoned' AND a.target = p.serial)")).isZero();
      assertThat(server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json().get("ok").asBoolean()).isTrue();
      HttpClient plain = HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(plain.send(
          HttpRequest.newBuilder(server.http("/readyz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200));
      System.out.printf("outage-under-load answers=%d issued=%d unavailable=%d abandoned=%d%n", all.size(),
          all.stream().filter(a -> a.status() == 201).count(), all.stream().filter(a -> a.status() == 503).count(),
          server.count("SELECT count(*) FROM precertificates"));
    } finally {
      pg.close();
    }
  }
}
