package dev.rotor.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Search by name and serial after V15: certificates written before it (with search_text) are
 * migrated and found, and new ones are found through the names table, which holds each name once.
 */
class SearchNamesIT {

  private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  private static EmbeddedPostgres pg;
  private static DataSource ds;
  private static int issuerId;

  @BeforeAll
  static void migrateOldDataForward() throws Exception {
    pg = EmbeddedPostgres.builder().setDataDirectory(Files.createTempDirectory("rotor-search-pg"))
        .setCleanDataDirectory(true).setPGStartupWait(Duration.ofSeconds(60)).start();
    ds = pg.getPostgresDatabase();
    Flyway.configure().dataSource(ds).locations("classpath:db/migration").target("14").load().migrate();
    try (Connection c = ds.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO certificate_authorities (kind, subject, serial, certificate_der,"
          + " key_algorithm, not_before, not_after, active) VALUES ('intermediate', 'CN=old', '1', '\\x00', 'EC', ?, ?, false) RETURNING id")) {
        ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofDays(1))));
        ps.setTimestamp(2, Timestamp.from(NOW.plus(Duration.ofDays(300))));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          issuerId = rs.getInt(1);
        }
      }
      // Rows as V1..V14 wrote them: search_text = serial, subject and SANs, lower-cased.
      for (String serial : List.of("a1b2c3d4e5f60001", "a1b2c3d4e5f60002")) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO certificates (serial, issuer_id, profile, channel, requester,"
            + " subject, sans, search_text, not_before, not_after, der) VALUES (?, ?, 'workload', 'rest', 'test', '', ?, ?, ?, ?, '\\x00')")) {
          ps.setString(1, serial);
          ps.setInt(2, issuerId);
          ps.setArray(3, c.createArrayOf("text", new String[] {"spiffe://rotor.local/ns/Old/sa/api"}));
          ps.setString(4, (serial + "  spiffe://rotor.local/ns/Old/sa/api").toLowerCase(Locale.ROOT));
          ps.setTimestamp(5, Timestamp.from(NOW.minusSeconds(60)));
          ps.setTimestamp(6, Timestamp.from(NOW.plusSeconds(600)));
          ps.executeUpdate();
        }
      }
    }
    Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void migrated_certificates_are_found_by_name_substring_and_serial_prefix_and_their_name_is_stored_once() throws Exception {
    PgCertificateStore store = new PgCertificateStore(ds);
    assertThat(serials(store, "ns/old/sa")).contains("a1b2c3d4e5f60001", "a1b2c3d4e5f60002");
    assertThat(serials(store, "NS/OLD/SA/API")).contains("a1b2c3d4e5f60001", "a1b2c3d4e5f60002");
    assertThat(serials(store, "A1:B2:C3:D4:E5:F6:00:02")).containsExactly("a1b2c3d4e5f60002");
    assertThat(serials(store, "00a1b2c3d4e5f6")).containsExactly("a1b2c3d4e5f60002", "a1b2c3d4e5f60001");
    assertThat(serials(store, "spiffe://rotor.local/ns/old/sa/api")).hasSize(2);
    assertThat(count("SELECT count(*) FROM certificate_names WHERE name = ' spiffe://rotor.local/ns/old/sa/api'")).isEqualTo(1);
  }

  @Test
  void new_certificates_share_one_name_row_and_are_found_through_it() throws Exception {
    PgCertificateStore store = new PgCertificateStore(ds);
    // Two journals on one database, as two replicas have: their batches hold the same new names in
    // varying order, and sorted inserts keep them from deadlocking.
    try (Journal one = new Journal(ds, Clock.systemUTC(), new SimpleMeterRegistry());
         Journal two = new Journal(ds, Clock.systemUTC(), new SimpleMeterRegistry())) {
      List<CompletableFuture<Object>> done = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String serial = String.format(Locale.ROOT, "b0%014x", i);
        String sa = "spiffe://rotor.local/ns/new/sa/s" + (i % 7);
        Journal journal = i % 2 == 0 ? one : two;
        done.add(journal.submit(tx -> {
          store.insert(tx, new NewCertificate(serial, issuerId, "workload", "rest", "test", "", List.of(sa),
              NOW.minusSeconds(30), NOW.plusSeconds(600), new byte[] {0}));
          return null;
        }));
      }
      CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
    }
    assertThat(count("SELECT count(*) FROM certificate_names WHERE name LIKE '%/ns/new/sa/%'")).isEqualTo(7);
    assertThat(count("SELECT count(*) FROM certificates c JOIN certificate_names n USING (name_hash)"
        + " WHERE n.name LIKE '%/ns/new/sa/%'")).isEqualTo(400);
    assertThat(serials(store, "ns/new/sa/s3")).hasSize(57).allMatch(s -> s.startsWith("b0"));
    assertThat(serials(store, "b000000000000007")).containsExactly("b000000000000007");
    // a serial is matched by prefix, not by a piece from its middle
    assertThat(serials(store, "00000000000007")).isEmpty();
    // a search for a name nobody holds finds nothing, not everything
    assertThat(serials(store, "ns/nobody")).isEmpty();
    // LIKE wildcards in the text are literal
    assertThat(serials(store, "ns/new/sa/s_")).isEmpty();
    assertThat(serials(store, "%")).isEmpty();
  }

  private static List<String> serials(PgCertificateStore store, String q) {
    List<String> out = new ArrayList<>();
    Optional<Long> cursor = Optional.empty();
    do {
      PgCertificateStore.Page page = store.search(Optional.empty(), Optional.of(q), 50, cursor, NOW);
      page.items().forEach(r -> out.add(r.serial()));
      cursor = page.nextCursor();
    } while (cursor.isPresent());
    return out;
  }

  private static long count(String sql) throws Exception {
    try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
