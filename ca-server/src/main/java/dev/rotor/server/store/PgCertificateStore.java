package dev.rotor.server.store;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Issued certificates in PostgreSQL: the insert and revoke steps of journal work, and the read side. */
public final class PgCertificateStore {

  private static final String COLUMNS = "id, serial, issuer_id, profile, channel, requester, subject, sans, not_before,"
      + " not_after, der, revoked_at, revocation_reason, created_at";

  /** Status filter of a search. */
  public enum Status { ACTIVE, REVOKED, EXPIRED }

  /** A page of a keyset-paginated listing; {@code nextCursor} is the id to continue below, if any. */
  public record Page(List<CertificateRecord> items, Optional<Long> nextCursor) {}

  /** The outcome of a revocation. */
  public record Revocation(String serial, Instant revokedAt, String reason, Instant notAfter, byte[] der) {}

  private final DataSource dataSource;

  public PgCertificateStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Adds the row to the certificates the current journal transaction writes (its name too). */
  public void insert(Journal.Tx tx, NewCertificate c) throws SQLException {
    String name = searchName(c.subject(), c.sans());
    byte[] nameHash = sha256(name);
    tx.rows(Names.class, Names::new).add(nameHash, name);
    tx.rows(Certificates.class, Certificates::new).add(c, nameHash);
    tx.rows(FinalPrecertificates.class, FinalPrecertificates::new).add(c.serial());
  }

  /**
   * Adds the pre-record of an issuance (serial and the TBSCertificate about to be signed) to the
   * current journal transaction. The serial is the primary key, so a batch that would reuse one
   * fails as a whole and nothing of it is signed.
   */
  public void insertPrecertificate(Journal.Tx tx, String serial, int issuerId, String profile, String channel,
      String requester, byte[] tbs) throws SQLException {
    tx.rows(Precertificates.class, Precertificates::new)
        .add(serial, issuerId, profile, channel, requester, tbs, tx.now().toString());
  }

  /** A transaction's new certificates. */
  static final class Certificates extends Journal.Rows {
    Certificates() {
      // sans travel as one JSON array per row: SQL arrays of arrays must all have one length.
      super("INSERT INTO certificates (serial, issuer_id, profile, channel, requester, subject, sans, name_hash,"
          + " not_before, not_after, der) SELECT s, i, p, ch, r, sub, ARRAY(SELECT jsonb_array_elements_text(sa::jsonb)),"
          + " h, nb, na, d FROM unnest(?::text[], ?::int4[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],"
          + " ?::bytea[], ?::timestamptz[], ?::timestamptz[], ?::bytea[]) AS t (s, i, p, ch, r, sub, sa, h, nb, na, d)",
          "text", "int4", "text", "text", "text", "text", "text", "bytea", "text", "text", "bytea");
    }

    void add(NewCertificate c, byte[] nameHash) {
      add(c.serial(), c.issuerId(), c.profile(), c.channel(), c.requester(), c.subject(), sansJson(c.sans()), nameHash,
          c.notBefore().toString(), c.notAfter().toString(), c.der());
    }

  }

  /**
   * The pre-records of a transaction's certificates, deleted in the transaction that records the
   * certificate (the row then holds the serial and the signed TBS). In the same statement as the
   * inserts, this costs one primary-key probe per certificate; a periodic sweep instead deleted
   * ten seconds' worth at once, a burst of PostgreSQL work the issuance path felt. An abandoned
   * pre-record stays, as the evidence it is.
   */
  static final class FinalPrecertificates extends Journal.Rows {
    FinalPrecertificates() {
      super("DELETE FROM precertificates WHERE serial IN (SELECT unnest(?::text[])) AND abandoned_at IS NULL", "text");
    }

    void add(String serial) {
      add((Object) serial);
    }
  }

  /** A transaction's pre-records. */
  static final class Precertificates extends Journal.Rows {
    Precertificates() {
      super("INSERT INTO precertificates (serial, issuer_id, profile, channel, requester, tbs, created_at)"
          + " SELECT * FROM unnest(?::text[], ?::int4[], ?::text[], ?::text[], ?::text[], ?::bytea[], ?::timestamptz[])",
          "text", "int4", "text", "text", "text", "bytea", "text");
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  static String sansJson(List<String> sans) {
    try {
      return JSON.writeValueAsString(sans);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A pre-record that never got its certificate: the issuance died between the two commits. */
  public record AbandonedPrecertificate(String serial, String profile, String channel, String requester, Instant createdAt) {}

  /**
   * Deletes the pre-records whose certificate is recorded but whose pre-record is still there
   * (written before the final record deleted it in its own transaction, {@link
   * FinalPrecertificates}); afterwards {@code precertificates} holds only issuances in flight and
   * abandoned ones. Returns how many rows went.
   */
  public int deleteFinalPrecertificates() {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "DELETE FROM precertificates p USING certificates c WHERE c.serial = p.serial AND p.abandoned_at IS NULL")) {
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * Resolves pre-records older than {@code cutoff} that have no certificate, inside a journal
   * transaction: marks them abandoned and returns them, for the caller to audit. Rows younger
   * than the cutoff may belong to an issuance still in flight, on this or another replica.
   */
  public List<AbandonedPrecertificate> abandonPrecertificates(Journal.Tx tx, Instant cutoff, int limit) throws SQLException {
    List<AbandonedPrecertificate> abandoned = new ArrayList<>();
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "UPDATE precertificates p SET abandoned_at = ? WHERE p.serial IN (SELECT q.serial FROM precertificates q"
            + " WHERE q.abandoned_at IS NULL AND q.created_at < ? AND NOT EXISTS (SELECT 1 FROM certificates c"
            + " WHERE c.serial = q.serial) ORDER BY q.created_at LIMIT ? FOR UPDATE SKIP LOCKED)"
            + " RETURNING serial, profile, channel, requester, created_at")) {
      ps.setObject(1, tx.now().atOffset(ZoneOffset.UTC));
      ps.setObject(2, cutoff.atOffset(ZoneOffset.UTC));
      ps.setInt(3, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          abandoned.add(new AbandonedPrecertificate(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getTimestamp(5).toInstant()));
        }
      }
    }
    return abandoned;
  }

  /** Pre-records neither final nor abandoned: issuances in flight, or dead and not yet resolved. */
  public long unresolvedPrecertificates() {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM precertificates p WHERE p.abandoned_at IS NULL"
             + " AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.serial = p.serial)");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /** What {@code q} matches as a substring: the subject and SANs, lower-cased, space-separated. */
  static String searchName(String subject, List<String> sans) {
    return (subject + " " + String.join(" ", sans)).toLowerCase(Locale.ROOT);
  }

  static byte[] sha256(String name) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The distinct names of a journal transaction's certificates, inserted into
   * {@code certificate_names} sorted by hash, so that two transactions (another replica's) inserting the same names lock
   * them in the same order. Renewals repeat names, so nearly every row is already there and costs
   * one primary-key probe; the trigram index is touched only by a name never seen before.
   */
  static final class Names extends Journal.Rows {
    Names() {
      super("INSERT INTO certificate_names (name_hash, name) SELECT h, n FROM unnest(?::bytea[], ?::text[]) AS t (h, n)"
          + " ORDER BY h ON CONFLICT (name_hash) DO NOTHING", "bytea", "text");
    }

    void add(byte[] hash, String name) {
      add((Object) hash, name);
    }

    @Override
    protected List<Object[]> toWrite(List<Object[]> added) {
      TreeMap<byte[], Object[]> byHash = new TreeMap<>(Arrays::compareUnsigned);
      for (Object[] row : added) {
        byHash.putIfAbsent((byte[]) row[0], row);
      }
      return new ArrayList<>(byHash.values());
    }

  }

  /**
   * The serial prefix a search text names, if it looks like one: at least {@value #MIN_SERIAL_PREFIX}
   * hex digits, colons allowed (as {@code openssl x509 -serial} and browsers print serials), leading
   * zeros dropped (serials are stored without them).
   */
  static Optional<String> serialPrefix(String text) {
    if (!text.matches("[0-9a-fA-F:]+")) {
      return Optional.empty();
    }
    String hex = text.replace(":", "").toLowerCase(Locale.ROOT).replaceFirst("^0+", "");
    return hex.length() >= MIN_SERIAL_PREFIX ? Optional.of(hex) : Optional.empty();
  }

  private static final int MIN_SERIAL_PREFIX = 4;

  /**
   * Revokes inside a journal transaction; throws NOT_FOUND or ALREADY_REVOKED (changing nothing)
   * when it cannot.
   */
  public Revocation revoke(Journal.Tx tx, String serial, String reason) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "UPDATE certificates SET revoked_at = ?, revocation_reason = ?, revocation_seq = nextval('revocation_seq')"
            + " WHERE serial = ? AND revoked_at IS NULL RETURNING revoked_at, not_after, der")) {
      ps.setTimestamp(1, Timestamp.from(tx.now()));
      ps.setString(2, reason);
      ps.setString(3, serial);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return new Revocation(serial, rs.getTimestamp(1).toInstant(), reason, rs.getTimestamp(2).toInstant(), rs.getBytes(3));
        }
      }
    }
    try (PreparedStatement ps = tx.connection().prepareStatement("SELECT revoked_at FROM certificates WHERE serial = ?")) {
      ps.setString(1, serial);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new RotorException(ErrorCode.NOT_FOUND, "no certificate with serial " + serial);
        }
        throw new RotorException(ErrorCode.ALREADY_REVOKED, "certificate " + serial + " was revoked at " + rs.getTimestamp(1).toInstant());
      }
    }
  }

  /**
   * Changes the reason of an already revoked certificate to {@code keyCompromise} (CA/B BR §4.9.1.1
   * lets a revocation be re-done with keyCompromise once the compromise is known). The revocation
   * time stays; the revocation sequence moves, so CRL publishers and the revocation feed see a
   * change. Empty when the certificate is not revoked or already revoked for keyCompromise.
   *
   * @return the revocation as it now stands, with {@code reason} the previous reason in
   *     {@link Upgrade#previousReason()}
   */
  public Optional<Upgrade> upgradeToKeyCompromise(Journal.Tx tx, String serial) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "UPDATE certificates c SET revocation_reason = 'keyCompromise', revocation_seq = nextval('revocation_seq')"
            + " FROM (SELECT serial, revocation_reason FROM certificates WHERE serial = ? FOR UPDATE) old"
            + " WHERE c.serial = old.serial AND c.revoked_at IS NOT NULL"
            + " AND c.revocation_reason IS DISTINCT FROM 'keyCompromise'"
            + " RETURNING c.revoked_at, c.not_after, c.der, old.revocation_reason")) {
      ps.setString(1, serial);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return Optional.of(new Upgrade(new Revocation(serial, rs.getTimestamp(1).toInstant(), "keyCompromise",
              rs.getTimestamp(2).toInstant(), rs.getBytes(3)), rs.getString(4)));
        }
      }
    }
    return Optional.empty();
  }

  /** A revocation whose reason was changed to keyCompromise, and the reason it had before. */
  public record Upgrade(Revocation revocation, String previousReason) {}

  /**
   * Records, inside the journal transaction, that {@code requestKey} was answered with
   * {@code serial}. Runs at once (not batched) so the caller sees the outcome: false when the key
   * is already recorded (by this or a concurrent transaction), and then nothing was changed.
   */
  public boolean claimRequestKey(Journal.Tx tx, String requestKey, String serial) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO certificate_requests (request_key, serial) VALUES (?, ?) ON CONFLICT (request_key) DO NOTHING")) {
      ps.setString(1, requestKey);
      ps.setString(2, serial);
      return ps.executeUpdate() == 1;
    }
  }

  /** The certificate recorded for an idempotency key, if one was issued under it. */
  public Optional<CertificateRecord> findByRequestKey(String requestKey) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS.replaceAll("(\\w+)", "c.$1")
             + " FROM certificate_requests r JOIN certificates c ON c.serial = r.serial WHERE r.request_key = ?")) {
      ps.setString(1, requestKey);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  public Optional<CertificateRecord> find(String serial) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM certificates WHERE serial = ?")) {
      ps.setString(1, serial);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * Newest first, keyset-paginated on id: {@code cursor} is the last id of the previous page.
   * {@code q} matches a substring of the subject or any SAN, or a prefix of the serial ({@link #serialPrefix}).
   */
  public Page search(Optional<Status> status, Optional<String> q, int limit, Optional<Long> cursor, Instant now) {
    return search(status, q, Optional.empty(), Optional.empty(), limit, cursor, now);
  }

  /** As {@link #search(Optional, Optional, int, Optional, Instant)}, also filtered by profile and door (channel). */
  public Page search(Optional<Status> status, Optional<String> q, Optional<String> profile, Optional<String> channel,
      int limit, Optional<Long> cursor, Instant now) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM certificates WHERE true");
    List<Object> args = new ArrayList<>();
    profile.ifPresent(p -> {
      sql.append(" AND profile = ?");
      args.add(p);
    });
    channel.ifPresent(ch -> {
      sql.append(" AND channel = ?");
      args.add(ch);
    });
    cursor.ifPresent(id -> {
      sql.append(" AND id < ?");
      args.add(id);
    });
    status.ifPresent(s -> {
      switch (s) {
        case ACTIVE -> {
          sql.append(" AND revoked_at IS NULL AND not_after > ?");
          args.add(Timestamp.from(now));
        }
        case REVOKED -> sql.append(" AND revoked_at IS NOT NULL");
        case EXPIRED -> {
          sql.append(" AND revoked_at IS NULL AND not_after <= ?");
          args.add(Timestamp.from(now));
        }
      }
    });
    // The text matches names (trigram index on the small names table, then the certificates by
    // name hash) or, when it looks like one, a serial prefix (the serials' unique index). Each is its
    // own keyset query, so each keeps its index plan; the page is the newest of both.
    record Match(String sql, List<Object> args) {}
    List<Match> matches = new ArrayList<>();
    q.ifPresentOrElse(text -> {
      matches.add(new Match(" AND name_hash IN (SELECT name_hash FROM certificate_names WHERE name LIKE ? ESCAPE '\\')",
          List.of("%" + escapeLike(text.toLowerCase(Locale.ROOT)) + "%")));
      // Serials are lower-case hex: every serial with this prefix sorts in [prefix, prefix + "g").
      serialPrefix(text).ifPresent(prefix -> matches.add(new Match(" AND serial >= ? AND serial < ?", List.of(prefix, prefix + "g"))));
    }, () -> matches.add(new Match("", List.of())));
    TreeMap<Long, CertificateRecord> newest = new TreeMap<>(Comparator.reverseOrder());
    try (Connection c = dataSource.getConnection()) {
      for (Match m : matches) {
        try (PreparedStatement ps = c.prepareStatement(sql + m.sql() + " ORDER BY id DESC LIMIT ?")) {
          int i = 1;
          for (Object arg : args) {
            ps.setObject(i++, arg);
          }
          for (Object arg : m.args()) {
            ps.setObject(i++, arg);
          }
          ps.setInt(i, limit + 1);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              CertificateRecord r = read(rs);
              newest.putIfAbsent(r.id(), r);
            }
          }
        }
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
    List<CertificateRecord> items = new ArrayList<>(newest.values());
    Optional<Long> next = Optional.empty();
    if (items.size() > limit) {
      items = new ArrayList<>(items.subList(0, limit));
      next = Optional.of(items.get(limit - 1).id());
    }
    return new Page(items, next);
  }

  /** A revoked, unexpired certificate, as the agents' revocation feed lists it. */
  public record RevokedCertificate(long seq, String serial, Instant revokedAt, String reason, Instant notAfter) {}

  /** Every revoked certificate (any issuer) that has not expired, by revocation sequence. */
  public List<RevokedCertificate> revokedUnexpired(Instant now) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT revocation_seq, serial, revoked_at, revocation_reason, not_after FROM certificates"
                 + " WHERE revoked_at IS NOT NULL AND not_after > ? ORDER BY revocation_seq")) {
      ps.setTimestamp(1, Timestamp.from(now));
      List<RevokedCertificate> result = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          result.add(new RevokedCertificate(rs.getLong(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getString(4),
              rs.getTimestamp(5).toInstant()));
        }
      }
      return result;
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /** Revoked certificates of one issuer that have not expired: what a CRL lists. */
  public List<dev.rotor.pki.RevokedEntry> revokedUnexpired(int issuerId, Instant now) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT serial, revoked_at, revocation_reason FROM certificates"
                 + " WHERE revoked_at IS NOT NULL AND issuer_id = ? AND not_after > ? ORDER BY revocation_seq")) {
      ps.setInt(1, issuerId);
      ps.setTimestamp(2, Timestamp.from(now));
      List<dev.rotor.pki.RevokedEntry> result = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          result.add(new dev.rotor.pki.RevokedEntry(new java.math.BigInteger(rs.getString(1), 16),
              rs.getTimestamp(2).toInstant(),
              dev.rotor.pki.RevocationReason.fromName(rs.getString(3)).orElse(dev.rotor.pki.RevocationReason.unspecified)));
        }
      }
      return result;
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * Changes whenever a revocation commits (on any replica): a CRL built at another value is stale.
   * The count matters besides the highest sequence number: two transactions can commit in the
   * opposite order of the sequence numbers they drew, so the maximum alone could miss one.
   */
  public String revocationGeneration() {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT count(*), coalesce(max(revocation_seq), 0) FROM certificates WHERE revoked_at IS NOT NULL");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1) + ":" + rs.getLong(2);
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /** The next CRL number (a database sequence, so it only grows, across restarts and replicas). */
  public long nextCrlNumber() {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT nextval('crl_number_seq')");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * Up to {@code limit} certificates with id above {@code afterId}, in id order (keyset on the
   * primary key): the checker job's pages.
   */
  public List<CertificateRecord> pageAfter(long afterId, int limit) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM certificates WHERE id > ? ORDER BY id LIMIT ?")) {
      ps.setLong(1, afterId);
      ps.setInt(2, limit);
      List<CertificateRecord> out = new ArrayList<>(limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * The smallest id among certificates valid at {@code now}, or empty when none is: where the
   * checker job starts reading. Reads the unexpired part of the not_after index once per process.
   */
  public java.util.OptionalLong firstUnexpiredId(Instant now) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT min(id) FROM certificates WHERE not_after > ?")) {
      ps.setTimestamp(1, Timestamp.from(now));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next(); // an aggregate: always one row, NULL when nothing matched
        long id = rs.getLong(1);
        return rs.wasNull() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(id);
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /** The DER certificate of CA {@code issuerId} ({@code certificate_authorities}), if recorded. */
  public Optional<byte[]> caCertificate(int issuerId) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT certificate_der FROM certificate_authorities WHERE id = ?")) {
      ps.setInt(1, issuerId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  private static CertificateRecord read(ResultSet rs) throws SQLException {
    Timestamp revoked = rs.getTimestamp(12);
    String[] sans = (String[]) rs.getArray(8).getArray();
    return new CertificateRecord(
        rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getString(6),
        rs.getString(7), Arrays.asList(sans), rs.getTimestamp(9).toInstant(), rs.getTimestamp(10).toInstant(),
        rs.getBytes(11), revoked == null ? null : revoked.toInstant(), rs.getString(13), rs.getTimestamp(14).toInstant());
  }

  static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  static RotorException unavailable(SQLException e) {
    return new RotorException(ErrorCode.UNAVAILABLE, "the database is unavailable", e);
  }
}
