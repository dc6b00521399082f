package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code rotor-server.jar audit verify}: the audit chain checked from the database, with an exit status. */
class AuditVerifyCommandIT {

  record Run(int status, String out, String err) {
    JsonNode json() throws Exception {
      return TestServer.JSON.readTree(out);
    }
  }

  static Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = AuditVerifyCommand.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void reports_an_intact_chain_then_an_edited_then_a_deleted_entry_with_exit_status_1() throws Exception {
    try (TestServer server = TestServer.start()) {
      for (int i = 0; i < 3; i++) {
        assertThat(server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("cli", "w" + i), "workload", 600).status()).isEqualTo(201);
      }
      String url;
      try (Connection c = server.sql()) {
        url = c.getMetaData().getURL();
      }
      Map<String, String> env = Map.of("ROTOR_DB_URL", url, "ROTOR_DB_USER", "postgres");
      assertThat(AuditVerifyCommand.matches(new String[] {"audit", "verify"})).isTrue();
      assertThat(AuditVerifyCommand.matches(new String[] {"--config", "x.yaml"})).isFalse();

      Run intact = run(env);
      assertThat(intact.status()).as(intact.err()).isZero();
      assertThat(intact.json().get("ok").asBoolean()).isTrue();
      long entries = intact.json().get("entries").asLong();
      assertThat(entries).isGreaterThanOrEqualTo(4);

      try (Connection c = server.sql(); Statement st = c.createStatement()) {
        st.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
        st.execute("UPDATE audit_log SET actor = 'token:mallory' WHERE seq = 3");
      }
      Run edited = run(env);
      assertThat(edited.status()).isEqualTo(1);
      assertThat(edited.json().get("ok").asBoolean()).isFalse();
      assertThat(edited.json().get("firstBadSeq").asLong()).isEqualTo(3);

      try (Connection c = server.sql(); Statement st = c.createStatement()) {
        st.execute("DELETE FROM audit_log WHERE seq = " + entries);
        st.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
      }
      Run truncated = run(env);
      assertThat(truncated.status()).isEqualTo(1);
      assertThat(truncated.json().get("ok").asBoolean()).isFalse();
    }
  }

  @Test
  void an_unreachable_database_is_exit_status_3_and_bad_configuration_2() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run down = run(Map.of("ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + closed + "/postgres", "ROTOR_DB_USER", "postgres"));
    assertThat(down.status()).isEqualTo(3);
    assertThat(down.err()).contains("database is unavailable");
    Run bad = run(Map.of("ROTOR_HTTPS_PORT", "not-a-port"));
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err()).contains("bad configuration");
  }
}
