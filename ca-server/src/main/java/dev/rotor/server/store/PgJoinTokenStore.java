package dev.rotor.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/** Single-use agent join tokens, kept as SHA-256 hashes. Every method runs inside a journal transaction. */
public final class PgJoinTokenStore {

  public void create(Journal.Tx tx, byte[] hash, String node, Instant expiresAt, String createdBy) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO join_tokens (token_hash, node, expires_at, created_by) VALUES (?, ?, ?, ?)")) {
      ps.setBytes(1, hash);
      ps.setString(2, node);
      ps.setTimestamp(3, Timestamp.from(expiresAt));
      ps.setString(4, createdBy);
      ps.executeUpdate();
    }
  }

  /**
   * Marks an unused, unexpired token used and returns its node; empty when the token is unknown,
   * used or expired. Concurrent attempts with the same token: exactly one gets the node.
   */
  public Optional<String> consume(Journal.Tx tx, byte[] hash, Instant now) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "UPDATE join_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING node")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setBytes(2, hash);
      ps.setTimestamp(3, Timestamp.from(now));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** Makes a consumed token usable again (its attestation failed for a reason not the agent's). */
  public void release(Journal.Tx tx, byte[] hash) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement("UPDATE join_tokens SET used_at = NULL WHERE token_hash = ?")) {
      ps.setBytes(1, hash);
      ps.executeUpdate();
    }
  }
}
