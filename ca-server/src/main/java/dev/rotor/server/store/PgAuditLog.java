package dev.rotor.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The read side of the audit log: listing and chain verification. Appends go through {@link Journal}. */
public final class PgAuditLog {

  /** One audit entry. */
  public record AuditEntry(long seq, Instant at, String actor, String action, String target, String details, String hash) {}

  /** A page of entries, newest first; {@code nextCursor} is the seq to continue below. */
  public record Page(List<AuditEntry> items, Optional<Long> nextCursor) {}

  /**
   * The verifier's finding: {@code ok} when every entry's hash recomputes, seq has no gaps, each
   * entry links to the previous hash, and the last entry is the recorded chain head.
   */
  public record Verification(boolean ok, long entries, Optional<Long> firstBadSeq, Optional<String> problem) {}

  private final DataSource dataSource;

  public PgAuditLog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public Page list(int limit, Optional<Long> cursor) {
    return list(limit, cursor, Optional.empty(), Optional.empty());
  }

  /**
   * Newest first. {@code action} matches exactly, or as a prefix when it ends in {@code .*}
   * ({@code certificate.*}); {@code actor} matches exactly.
   */
  public Page list(int limit, Optional<Long> cursor, Optional<String> action, Optional<String> actor) {
    StringBuilder sql = new StringBuilder("SELECT seq, at, actor, action, target, details, hash FROM audit_log WHERE true");
    List<Object> args = new ArrayList<>();
    cursor.ifPresent(c -> {
      sql.append(" AND seq < ?");
      args.add(c);
    });
    action.ifPresent(a -> {
      if (a.endsWith(".*")) {
        sql.append(" AND action LIKE ? ESCAPE '\\'");
        args.add(PgCertificateStore.escapeLike(a.substring(0, a.length() - 1)) + "%");
      } else {
        sql.append(" AND action = ?");
        args.add(a);
      }
    });
    actor.ifPresent(a -> {
      sql.append(" AND actor = ?");
      args.add(a);
    });
    sql.append(" ORDER BY seq DESC LIMIT ?");
    args.add(limit + 1);
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<AuditEntry> items = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          items.add(new AuditEntry(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
              rs.getString(5), rs.getString(6), HexFormat.of().formatHex(rs.getBytes(7))));
        }
      }
      Optional<Long> next = Optional.empty();
      if (items.size() > limit) {
        items.remove(items.size() - 1);
        next = Optional.of(items.get(items.size() - 1).seq());
      }
      return new Page(items, next);
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Recomputes the whole chain, streaming it in seq order. */
  public Verification verify() {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // needed for a streaming cursor
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      long headSeq;
      byte[] headHash;
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        headSeq = rs.getLong(1);
        headHash = rs.getBytes(2);
      }
      byte[] prev = new byte[32];
      long expected = 1;
      long count = 0;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log ORDER BY seq")) {
        ps.setFetchSize(1000);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long seq = rs.getLong(1);
            if (seq != expected) {
              return fail(count, expected, "entry " + expected + " is missing");
            }
            if (!Arrays.equals(rs.getBytes(7), prev)) {
              return fail(count, seq, "entry " + seq + " does not link to the previous entry");
            }
            byte[] hash = Journal.AuditHash.of(prev, seq, rs.getTimestamp(2).toInstant(), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6));
            if (!Arrays.equals(hash, rs.getBytes(8))) {
              return fail(count, seq, "entry " + seq + " was altered (hash mismatch)");
            }
            prev = hash;
            expected++;
            count++;
          }
        }
      } finally {
        c.rollback();
      }
      if (count != headSeq || (count > 0 && !Arrays.equals(prev, headHash))) {
        return fail(count, count + 1, "the log ends at entry " + count + " but the chain head is entry " + headSeq + " (truncated)");
      }
      return new Verification(true, count, Optional.empty(), Optional.empty());
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  private static Verification fail(long count, long seq, String problem) {
    return new Verification(false, count, Optional.of(seq), Optional.of(problem));
  }
}
