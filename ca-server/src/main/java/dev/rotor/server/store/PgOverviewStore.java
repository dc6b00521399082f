package dev.rotor.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** The read queries behind the admin UI's overview and agents pages; each is an index range scan. */
public final class PgOverviewStore {

  /** Certificate counts at one instant. */
  public record Counts(long active, long expiringSoon, long revoked) {}

  /**
   * An agent as its own certificates show it: the newest agent-profile certificate issued for
   * {@code identity}, and how many workload certificates it obtained that are still valid.
   */
  public record AgentRow(String identity, Instant lastRenewal, Instant notAfter, String serial, boolean revoked) {}

  private final DataSource dataSource;

  public PgOverviewStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * {@code active}: not revoked and not expired; {@code expiringSoon}: the active ones whose
   * notAfter is before {@code soon}; {@code revoked}: every revoked certificate (what
   * {@code ?status=revoked} lists).
   */
  public Counts counts(Instant now, Instant soon) {
    try (Connection c = dataSource.getConnection()) {
      long active;
      long expiring;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*), count(*) FILTER (WHERE not_after <= ?) FROM certificates WHERE not_after > ? AND revoked_at IS NULL")) {
        ps.setTimestamp(1, Timestamp.from(soon));
        ps.setTimestamp(2, Timestamp.from(now));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          active = rs.getLong(1);
          expiring = rs.getLong(2);
        }
      }
      long revoked;
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        revoked = rs.getLong(1);
      }
      return new Counts(active, expiring, revoked);
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Agents with an agent-profile certificate valid at some point after {@code since}, newest renewal first. */
  public List<AgentRow> agents(Instant since, int limit) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT DISTINCT ON (sans[1]) sans[1], created_at, not_after, serial, revoked_at IS NOT NULL FROM certificates"
                 + " WHERE profile = 'agent' AND not_after > ? ORDER BY sans[1], id DESC")) {
      ps.setTimestamp(1, Timestamp.from(since));
      List<AgentRow> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new AgentRow(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant(), rs.getString(4),
              rs.getBoolean(5)));
        }
      }
      rows.sort((a, b) -> b.lastRenewal().compareTo(a.lastRenewal()));
      return rows.size() > limit ? rows.subList(0, limit) : rows;
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** The distinct identities of valid workload certificates that {@code requester} (an agent) obtained. */
  public List<String> identitiesServedBy(String requester, Instant now, int limit) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT DISTINCT sans[1] FROM certificates WHERE not_after > ? AND revoked_at IS NULL AND requester = ?"
                 + " AND profile = 'workload' ORDER BY 1 LIMIT ?")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setString(2, requester);
      ps.setInt(3, limit);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }
}
