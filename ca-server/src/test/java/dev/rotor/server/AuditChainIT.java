package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The audit verifier finds edited, deleted and truncated entries; the database refuses casual edits. */
class AuditChainIT {

  TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start();
    for (int i = 0; i < 5; i++) {
      server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("audit", "n" + i), "workload", 600);
    }
    assertThat(verify().get("ok").asBoolean()).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  JsonNode verify() throws Exception {
    TestServer.Reply r = server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN);
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }

  void superuser(String sql) throws SQLException {
    try (Connection c = server.sql(); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
      st.execute(sql);
      st.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
    }
  }

  @Test
  void the_database_refuses_updates_and_deletes() {
    assertThatThrownBy(() -> {
      try (Connection c = server.sql(); Statement st = c.createStatement()) {
        st.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3");
      }
    }).hasMessageContaining("append-only");
    assertThatThrownBy(() -> {
      try (Connection c = server.sql(); Statement st = c.createStatement()) {
        st.execute("DELETE FROM audit_log WHERE seq = 3");
      }
    }).hasMessageContaining("append-only");
  }

  @Test
  void detects_an_edited_entry() throws Exception {
    long target = server.count("SELECT max(seq) - 1 FROM audit_log");
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE seq = " + target + " AND details LIKE '%workload%'")).isEqualTo(1);
    superuser("UPDATE audit_log SET details = replace(details, 'workload', 'acme') WHERE seq = " + target);
    JsonNode v = verify();
    assertThat(v.get("ok").asBoolean()).isFalse();
    assertThat(v.get("firstBadSeq").asLong()).isEqualTo(target);
    assertThat(v.get("problem").asText()).contains("altered");
  }

  @Test
  void detects_a_deleted_entry() throws Exception {
    superuser("DELETE FROM audit_log WHERE seq = 3");
    JsonNode v = verify();
    assertThat(v.get("ok").asBoolean()).isFalse();
    assertThat(v.get("firstBadSeq").asLong()).isEqualTo(3);
    assertThat(v.get("problem").asText()).contains("missing");
  }

  @Test
  void detects_a_truncated_tail() throws Exception {
    long last = server.count("SELECT max(seq) FROM audit_log");
    superuser("DELETE FROM audit_log WHERE seq >= " + (last - 1));
    JsonNode v = verify();
    assertThat(v.get("ok").asBoolean()).isFalse();
    assertThat(v.get("problem").asText()).contains("truncated");
  }

  @Test
  void detects_a_rewritten_entry_with_a_recomputed_hash_by_the_broken_link() throws Exception {
    // an attacker who recomputes the edited entry's own hash still breaks the next entry's link
    superuser("UPDATE audit_log SET actor = 'token:mallory', hash = sha256(hash) WHERE seq = 4");
    JsonNode v = verify();
    assertThat(v.get("ok").asBoolean()).isFalse();
    assertThat(v.get("firstBadSeq").asLong()).isEqualTo(4);
  }
}
