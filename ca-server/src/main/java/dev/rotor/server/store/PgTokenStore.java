package dev.rotor.server.store;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/** API tokens, kept as SHA-256 hashes; the token itself is never stored. */
public final class PgTokenStore {

  /** A token's name and role. */
  public record TokenRecord(String name, String role) {}

  private final DataSource dataSource;

  public PgTokenStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public Optional<TokenRecord> findByHash(byte[] hash) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT name, role FROM api_tokens WHERE token_hash = ?")) {
      ps.setBytes(1, hash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new TokenRecord(rs.getString(1), rs.getString(2))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  public boolean exists(String name) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT 1 FROM api_tokens WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Inserts a token inside a journal transaction; CONFLICT (changing nothing) if the name is taken. */
  public void create(Journal.Tx tx, String name, String role, byte[] hash, String createdBy) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id")) {
      ps.setString(1, name);
      ps.setString(2, role);
      ps.setBytes(3, hash);
      ps.setString(4, createdBy);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new RotorException(ErrorCode.CONFLICT, "a token named " + name + " already exists");
        }
      }
    }
  }

  /** Sets the hash of a named admin token (the one {@code ROTOR_ADMIN_TOKEN} provides), inserting it if absent. */
  public boolean upsertAdmin(Journal.Tx tx, String name, byte[] hash) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES (?, 'admin', ?, 'system')"
            + " ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, role = 'admin'"
            + " WHERE api_tokens.token_hash IS DISTINCT FROM EXCLUDED.token_hash RETURNING id")) {
      ps.setString(1, name);
      ps.setBytes(2, hash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
