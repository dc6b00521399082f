package dev.rotor.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The journal's batch statements on a real PostgreSQL: rows of several tables and the audit
 * entries of many concurrent items land exactly as given, a final record deletes its pre-record,
 * the audit chain they extend verifies, and a rejected item leaves nothing behind.
 */
class JournalIT {

  private static final Instant NOW = Instant.parse("2026-11-25T02:00:00Z");
  private static EmbeddedPostgres pg;
  private static DataSource ds;
  private static int issuerId;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgres.builder().setDataDirectory(Files.createTempDirectory("rotor-journal-pg"))
        .setCleanDataDirectory(true).setPGStartupWait(Duration.ofSeconds(60)).start();
    ds = pg.getPostgresDatabase();
    Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
    try (Connection c = ds.getConnection();
         PreparedStatement ps = c.prepareStatement("INSERT INTO certificate_authorities (kind, subject, serial, certificate_der,"
             + " key_algorithm, not_before, not_after, active) VALUES ('intermediate', 'CN=j', '1', '\\x00', 'EC', ?, ?, false)"
             + " RETURNING id")) {
      ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofDays(1))));
      ps.setTimestamp(2, Timestamp.from(NOW.plus(Duration.ofDays(300))));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        issuerId = rs.getInt(1);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void concurrent_items_write_their_rows_and_audit_entries_exactly_and_the_chain_verifies() throws Exception {
    PgCertificateStore store = new PgCertificateStore(ds);
    // Names that SQL array literals and JSON both have to escape, and an empty SAN list.
    List<List<String>> sanLists = List.of(
        List.of("spiffe://rotor.local/ns/a/sa/x"),
        List.of("a,b.example", "{braces}.example", "quote\"d.example", "back\\slash.example"),
        List.of("ünïcode.example", "NULL", ""),
        List.of());
    try (Journal journal = new Journal(ds, Clock.systemUTC(), new SimpleMeterRegistry())) {
      List<CompletableFuture<Object>> prerecorded = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        String serial = String.format(Locale.ROOT, "c0%014x", i);
        byte[] tbs = new byte[] {1, 2, (byte) i};
        prerecorded.add(journal.submit(tx -> {
          store.insertPrecertificate(tx, serial, issuerId, "workload", "rest", "req-" + serial, tbs);
          return null;
        }));
      }
      CompletableFuture.allOf(prerecorded.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
      for (int i = 0; i < 300; i++) {
        String serial = String.format(Locale.ROOT, "c0%014x", i);
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT tbs, created_at FROM precertificates WHERE serial = ?")) {
          ps.setString(1, serial);
          try (ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).as(serial).isTrue();
            assertThat(rs.getBytes(1)).isEqualTo(new byte[] {1, 2, (byte) i});
            assertThat(rs.getTimestamp(2).toInstant()).isBetween(Instant.now().minusSeconds(120), Instant.now());
          }
        }
      }
      List<CompletableFuture<Object>> recorded = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        String serial = String.format(Locale.ROOT, "c0%014x", i);
        List<String> sans = sanLists.get(i % sanLists.size());
        byte[] der = new byte[] {(byte) i, 0, (byte) 0xff, 0x5c, 0x22};
        recorded.add(journal.submit(tx -> {
          store.insert(tx, new NewCertificate(serial, issuerId, "workload", "agent", "req-" + serial, "CN=" + serial, sans,
              NOW.minusSeconds(30), NOW.plusSeconds(600 + serial.hashCode() % 7), der));
          tx.audit("req-" + serial, "certificate.issued", serial, "{\"serial\":\"" + serial + "\"}");
          tx.audit("system", "test.second-entry", null, "{}");
          return null;
        }));
      }
      CompletableFuture.allOf(recorded.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
    }
    // the final records deleted their pre-records in their own transactions
    assertThat(count("SELECT count(*) FROM precertificates WHERE serial LIKE 'c0%'")).isZero();
    for (int i = 0; i < 300; i++) {
      String serial = String.format(Locale.ROOT, "c0%014x", i);
      try (Connection c = ds.getConnection();
           PreparedStatement ps = c.prepareStatement("SELECT c.sans, c.der, c.subject, c.requester, c.not_before, c.not_after,"
               + " n.name FROM certificates c JOIN certificate_names n USING (name_hash) WHERE c.serial = ?")) {
        ps.setString(1, serial);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).as(serial).isTrue();
          Array sans = rs.getArray(1);
          assertThat(Arrays.asList((Object[]) sans.getArray())).as(serial).isEqualTo(sanLists.get(i % sanLists.size()));
          assertThat(rs.getBytes(2)).isEqualTo(new byte[] {(byte) i, 0, (byte) 0xff, 0x5c, 0x22});
          assertThat(rs.getString(3)).isEqualTo("CN=" + serial);
          assertThat(rs.getString(4)).isEqualTo("req-" + serial);
          assertThat(rs.getTimestamp(5).toInstant()).isEqualTo(NOW.minusSeconds(30));
          assertThat(rs.getTimestamp(6).toInstant()).isEqualTo(NOW.plusSeconds(600 + serial.hashCode() % 7));
          assertThat(rs.getString(7)).isEqualTo(PgCertificateStore.searchName("CN=" + serial, sanLists.get(i % sanLists.size())));
        }
      }
    }
    assertThat(count("SELECT count(*) FROM certificates WHERE serial LIKE 'c0%'")).isEqualTo(300);
    assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'certificate.issued' AND target LIKE 'c0%'")).isEqualTo(300);
    assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'test.second-entry' AND target IS NULL")).isEqualTo(300);
    // each item's two entries are adjacent: an item's entries are never split between batches
    assertThat(count("SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1"
        + " WHERE a.action = 'certificate.issued' AND b.action = 'test.second-entry'")).isEqualTo(300);
    PgAuditLog.Verification v = new PgAuditLog(ds).verify();
    assertThat(v.ok()).as(v.problem().orElse("")).isTrue();
    assertThat(v.entries()).isEqualTo(count("SELECT seq FROM audit_head"));
  }

  @Test
  void a_late_final_record_keeps_the_abandoned_pre_record_as_evidence() throws Exception {
    PgCertificateStore store = new PgCertificateStore(ds);
    try (Journal journal = new Journal(ds, Clock.systemUTC(), new SimpleMeterRegistry())) {
      journal.submit(tx -> {
        store.insertPrecertificate(tx, "f0000000000000001", issuerId, "workload", "rest", "r", new byte[] {1});
        store.insertPrecertificate(tx, "f0000000000000002", issuerId, "workload", "rest", "r", new byte[] {1});
        return null;
      }).get(60, TimeUnit.SECONDS);
      try (Connection c = ds.getConnection()) {
        c.createStatement().executeUpdate("UPDATE precertificates SET abandoned_at = now() WHERE serial = 'f0000000000000001'");
      }
      for (String serial : List.of("f0000000000000001", "f0000000000000002")) {
        journal.submit(tx -> {
          store.insert(tx, new NewCertificate(serial, issuerId, "workload", "rest", "r", "", List.of("spiffe://rotor.local/ns/f/sa/f"),
              NOW.minusSeconds(30), NOW.plusSeconds(600), new byte[] {2}));
          return null;
        }).get(60, TimeUnit.SECONDS);
      }
    }
    assertThat(count("SELECT count(*) FROM precertificates WHERE serial = 'f0000000000000001' AND abandoned_at IS NOT NULL"))
        .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM precertificates WHERE serial = 'f0000000000000002'")).isZero();
  }

  @Test
  void a_rejected_item_leaves_no_rows_and_no_audit_entry_and_the_rest_of_its_batch_commits() throws Exception {
    PgCertificateStore store = new PgCertificateStore(ds);
    long entriesBefore = count("SELECT count(*) FROM audit_log");
    List<CompletableFuture<Object>> kept = new ArrayList<>();
    List<CompletableFuture<Object>> refused = new ArrayList<>();
    try (Journal journal = new Journal(ds, Clock.systemUTC(), new SimpleMeterRegistry())) {
      for (int i = 0; i < 200; i++) {
        String serial = String.format(Locale.ROOT, "d0%014x", i);
        boolean refuse = i % 3 == 0;
        (refuse ? refused : kept).add(journal.submit(tx -> {
          store.insertPrecertificate(tx, serial, issuerId, "workload", "rest", "r", new byte[] {1});
          store.insert(tx, new NewCertificate(serial, issuerId, "workload", "rest", "r", "", List.of("spiffe://rotor.local/ns/d/sa/" + serial),
              NOW.minusSeconds(30), NOW.plusSeconds(600), new byte[] {2}));
          tx.audit("r", "certificate.issued", serial, "{}");
          if (refuse) {
            throw new RotorException(ErrorCode.CONFLICT, "refused " + serial);
          }
          return null;
        }));
      }
      CompletableFuture.allOf(kept.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
      for (CompletableFuture<Object> f : refused) {
        assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(RotorException.class).hasMessageStartingWith("refused d0");
      }
    }
    assertThat(count("SELECT count(*) FROM certificates WHERE serial LIKE 'd0%'")).isEqualTo(kept.size());
    assertThat(count("SELECT count(*) FROM precertificates WHERE serial LIKE 'd0%'")).isEqualTo(kept.size());
    assertThat(count("SELECT count(*) FROM certificate_names WHERE name LIKE '%/ns/d/sa/%'")).isEqualTo(kept.size());
    assertThat(count("SELECT count(*) FROM certificates WHERE serial LIKE 'd0%' AND ('x' || substr(serial, 3))::bit(56)::bigint % 3 = 0"))
        .isZero();
    assertThat(count("SELECT count(*) FROM audit_log") - entriesBefore).isEqualTo(kept.size());
    assertThat(new PgAuditLog(ds).verify().ok()).isTrue();
  }

  @Test
  void a_database_error_in_the_rows_fails_the_whole_batch_and_commits_none_of_it() throws Exception {
    PgCertificateStore store = new PgCertificateStore(ds);
    long entriesBefore = count("SELECT count(*) FROM audit_log");
    try (Journal journal = new Journal(ds, Clock.systemUTC(), new SimpleMeterRegistry())) {
      // Two pre-records of one serial in one item: the primary key refuses the statement.
      CompletableFuture<Object> f = journal.submit(tx -> {
        store.insertPrecertificate(tx, "e0000000000000001", issuerId, "workload", "rest", "r", new byte[] {1});
        store.insertPrecertificate(tx, "e0000000000000001", issuerId, "workload", "rest", "r", new byte[] {1});
        tx.audit("r", "test.dup", "e0000000000000001", "{}");
        return null;
      });
      assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).cause().isInstanceOf(RotorException.class)
          .satisfies(e -> assertThat(((RotorException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
      // The journal works again on the next batch.
      journal.submit(tx -> {
        tx.audit("r", "test.after", null, "{}");
        return null;
      }).get(60, TimeUnit.SECONDS);
    }
    assertThat(count("SELECT count(*) FROM precertificates WHERE serial = 'e0000000000000001'")).isZero();
    assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'test.dup'")).isZero();
    assertThat(count("SELECT count(*) FROM audit_log") - entriesBefore).isEqualTo(1);
    assertThat(new PgAuditLog(ds).verify().ok()).isTrue();
  }

  private static long count(String sql) throws Exception {
    try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
