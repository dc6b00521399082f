package dev.rotor.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/** Admin UI sessions, keyed by the SHA-256 of the session id (the id itself is never stored). */
public final class PgSessionStore {

  /** A live session. */
  public record SessionRecord(String tokenName, String role, String csrfToken, Instant lastSeen, Instant expiresAt) {}

  private final DataSource dataSource;

  public PgSessionStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public void create(byte[] idHash, String tokenName, String role, String csrfToken, Instant now, Instant expiresAt) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "INSERT INTO ui_sessions (id_hash, token_name, role, csrf_token, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setBytes(1, idHash);
      ps.setString(2, tokenName);
      ps.setString(3, role);
      ps.setString(4, csrfToken);
      ps.setTimestamp(5, Timestamp.from(now));
      ps.setTimestamp(6, Timestamp.from(now));
      ps.setTimestamp(7, Timestamp.from(expiresAt));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** The session if it exists and has not expired at {@code now}. */
  public Optional<SessionRecord> find(byte[] idHash, Instant now) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT token_name, role, csrf_token, last_seen, expires_at FROM ui_sessions WHERE id_hash = ? AND expires_at > ?")) {
      ps.setBytes(1, idHash);
      ps.setTimestamp(2, Timestamp.from(now));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new SessionRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant()))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Moves the idle expiry forward after activity. */
  public void touch(byte[] idHash, Instant now, Instant expiresAt) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("UPDATE ui_sessions SET last_seen = ?, expires_at = ? WHERE id_hash = ?")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setTimestamp(2, Timestamp.from(expiresAt));
      ps.setBytes(3, idHash);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Ends a session; true if it existed. */
  public boolean delete(byte[] idHash) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("DELETE FROM ui_sessions WHERE id_hash = ?")) {
      ps.setBytes(1, idHash);
      return ps.executeUpdate() > 0;
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Removes sessions that expired before {@code now}; returns how many. */
  public int purgeExpired(Instant now) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("DELETE FROM ui_sessions WHERE expires_at <= ?")) {
      ps.setTimestamp(1, Timestamp.from(now));
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }
}
