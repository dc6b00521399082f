package dev.rotor.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Keys reported compromised ({@code blocked_keys}, V9), by the SHA-256 of their SubjectPublicKeyInfo. */
public final class PgBlockedKeyStore {

  /** One blocked key; {@code id} orders the rows for incremental reads. */
  public record BlockedKey(long id, byte[] spkiSha256) {}

  private final DataSource dataSource;

  public PgBlockedKeyStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Blocks a key inside the journal transaction (with the revocation that reports it). Runs at
   * once, not batched; a key already blocked stays as it was.
   */
  public void insert(Journal.Tx tx, byte[] spkiSha256, String sourceSerial) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO blocked_keys (spki_sha256, source_serial, blocked_at) VALUES (?, ?, ?)"
            + " ON CONFLICT (spki_sha256) DO NOTHING")) {
      ps.setBytes(1, spkiSha256);
      ps.setString(2, sourceSerial);
      ps.setTimestamp(3, Timestamp.from(tx.now()));
      ps.executeUpdate();
    }
  }

  /** The keys blocked after row {@code afterId}, in id order (primary-key range scan). */
  public List<BlockedKey> after(long afterId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT id, spki_sha256 FROM blocked_keys WHERE id > ? ORDER BY id")) {
      ps.setLong(1, afterId);
      List<BlockedKey> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new BlockedKey(rs.getLong(1), rs.getBytes(2)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("reading blocked_keys failed", e);
    }
  }
}
