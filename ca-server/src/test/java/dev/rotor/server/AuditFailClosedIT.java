package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * If the audit log cannot be written, issuance stops (503 + Retry-After, no certificate returned
 * or recorded), readiness goes false, and both come back by themselves once it can be written.
 * The fault: a trigger that refuses every insert into audit_log, as a revoked privilege or a full
 * tablespace would (the test's database user is a superuser, so privileges cannot be used).
 */
class AuditFailClosedIT {

  static int readyz(TestServer server) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.http("/readyz")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static void sql(TestServer server, String sql) throws Exception {
    try (Connection c = server.sql(); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  @Test
  void issuance_fails_closed_while_the_audit_log_cannot_be_written_and_recovers_by_itself() throws Exception {
    try (TestServer server = TestServer.start(Map.of("ROTOR_PRECERT_GRACE", "1s"))) {
      assertThat(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("audit", "before"), "workload", 600).status()).isEqualTo(201);

      sql(server, "CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
          + " BEGIN RAISE EXCEPTION 'audit log not writable (test)'; END; $$");
      sql(server, "CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_refuse()");

      TestServer.Reply refused = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("audit", "during"), "workload", 600);
      assertThat(refused.status()).as(refused.body()).isEqualTo(503);
      assertThat(refused.raw().headers().firstValue("Retry-After")).isPresent();
      assertThat(refused.body()).doesNotContain("BEGIN CERTIFICATE");
      assertThat(readyz(server)).isEqualTo(503);
      // still closed a while later: the idle journal's probe keeps finding the log unwritable
      Thread.sleep(2_500);
      assertThat(readyz(server)).isEqualTo(503);
      assertThat(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("audit", "during2"), "workload", 600).status()).isEqualTo(503);
      assertThat(server.count("SELECT count(*) FROM certificates WHERE sans[1] LIKE '%/ns/audit/sa/during%'")).isZero();
      // what was signed for those requests is accounted for by its pre-record, not yet resolvable (that needs an audit entry)
      assertThat(server.count(CrashConsistencyIT.UNRESOLVED)).isEqualTo(2);

      sql(server, "DROP TRIGGER audit_refuse ON audit_log");
      // readiness returns without any request needing to succeed first
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(readyz(server)).isEqualTo(200));
      assertThat(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("audit", "after"), "workload", 600).status()).isEqualTo(201);
      // the two refused issuances' pre-records are resolved as abandoned, with audit entries
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(server.count("SELECT count(*) FROM precertificates WHERE abandoned_at IS NOT NULL")).isEqualTo(2));
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificate.abandoned'")).isEqualTo(2);
      assertThat(server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json().get("ok").asBoolean()).isTrue();
    }
  }
}
