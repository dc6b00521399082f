package dev.rotor.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Read-only views for the admin UI: ACME accounts and orders, and what the CertificateRequest controller did. */
public final class PgActivityStore {

  public record AcmeAccount(long id, String status, String contact, boolean eab, Instant createdAt, long orders) {}

  public record AcmeOrder(long id, long accountId, String profile, String status, String identifiers, String error,
      String certificateSerial, Instant expiresAt, Instant createdAt, Instant updatedAt) {}

  /** An audit entry written for a CertificateRequest (actor {@code k8s:<user>}). */
  public record RequestEntry(long seq, Instant at, String actor, String action, String target, String details) {}

  private final DataSource dataSource;

  public PgActivityStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public List<AcmeAccount> acmeAccounts(int limit) {
    String sql = "SELECT a.id, a.status, a.contact, a.eab_key_id IS NOT NULL, a.created_at,"
        + " (SELECT count(*) FROM acme_orders o WHERE o.account_id = a.id) FROM acme_accounts a ORDER BY a.id DESC LIMIT ?";
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, limit);
      List<AcmeAccount> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AcmeAccount(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBoolean(4),
              rs.getTimestamp(5).toInstant(), rs.getLong(6)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** Newest first; {@code account} and {@code status} filter when present. */
  public List<AcmeOrder> acmeOrders(Optional<Long> account, Optional<String> status, int limit) {
    StringBuilder sql = new StringBuilder("SELECT id, account_id, profile, status, identifiers, error, certificate_serial,"
        + " expires_at, created_at, updated_at FROM acme_orders WHERE true");
    List<Object> args = new ArrayList<>();
    account.ifPresent(a -> {
      sql.append(" AND account_id = ?");
      args.add(a);
    });
    status.ifPresent(s -> {
      sql.append(" AND status = ?");
      args.add(s);
    });
    sql.append(" ORDER BY id DESC LIMIT ?");
    args.add(limit);
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<AcmeOrder> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AcmeOrder(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6), rs.getString(7), rs.getTimestamp(8).toInstant(), rs.getTimestamp(9).toInstant(),
              rs.getTimestamp(10).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }

  /** The controller's issued, failed and denied requests, newest first (partial index on k8s actors). */
  public List<RequestEntry> certificateRequests(int limit) {
    String sql = "SELECT seq, at, actor, action, target, details FROM audit_log WHERE actor LIKE 'k8s:%'"
        + " ORDER BY seq DESC LIMIT ?";
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, limit);
      List<RequestEntry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new RequestEntry(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
              rs.getString(5), rs.getString(6)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw PgCertificateStore.unavailable(e);
    }
  }
}
