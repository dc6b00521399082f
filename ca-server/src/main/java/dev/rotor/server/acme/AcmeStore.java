package dev.rotor.server.acme;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * PostgreSQL access for the ACME tables ({@code V4__acme.sql}). Persistence records are the
 * nested records here; state changes that are audited go through the journal (see
 * {@link AcmeAccounts}), the rest are single statements or short transactions here.
 */
public final class AcmeStore {

  public record Account(long id, String thumbprint, String jwk, String status, List<String> contact, boolean tosAgreed,
      String eabKeyId, Instant createdAt) {}

  /** An order with the ids of its authorizations (read with it, in order). */
  public record Order(long id, long accountId, String profile, String status, List<Identifier> identifiers, Instant expires,
      String error, String certificateSerial, String replaces, Instant createdAt, Instant updatedAt, byte[] csr,
      List<Long> authorizationIds) {

    /** This order as {@link #completeOrder} leaves it. */
    Order completed(String serial) {
      return new Order(id, accountId, profile, "valid", identifiers, expires, error, serial, replaces, createdAt, updatedAt, csr,
          authorizationIds);
    }
  }

  public record Authorization(long id, long orderId, long accountId, String type, String value, boolean wildcard, String status,
      Instant expires) {
    public Identifier identifier() {
      return new Identifier(type, value);
    }
  }

  public record Challenge(long id, long authzId, String type, String token, String status, Instant validatedAt, String error,
      int attempts) {

    /** This challenge as {@link #startValidation} leaves it when it claimed it. */
    Challenge claimed() {
      return new Challenge(id, authzId, type, token, "processing", validatedAt, error, attempts + 1);
    }
  }

  /** A challenge with its authorization, read together. */
  public record ChallengeOf(Challenge challenge, Authorization authorization) {}

  /** An authorization with its challenges, read together. */
  public record AuthorizationWith(Authorization authorization, List<Challenge> challenges) {}

  /** A challenge claimed for validation, with what the validator needs. */
  public record Claimed(long challengeId, long authzId, long orderId, String type, String token, String identifierType,
      String identifierValue, String accountJwk, int attempts) {}

  public record EabKey(String keyId, byte[] hmacKey, Instant usedAt) {}

  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<List<Identifier>> IDENTIFIERS = new TypeReference<>() {};

  private final DataSource db;
  private final ObjectMapper json;

  public AcmeStore(DataSource db, ObjectMapper json) {
    this.db = db;
    this.json = json;
  }

  @FunctionalInterface
  interface SqlWork<T> {
    T apply(Connection c) throws Exception;
  }

  /** Runs {@code work} in one transaction; SQL errors become 503 (the database is unavailable). */
  <T> T tx(SqlWork<T> work) {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        T t = work.apply(c);
        c.commit();
        return t;
      } catch (Exception e) {
        c.rollback();
        throw e;
      }
    } catch (AcmeException | RotorException e) {
      throw e;
    } catch (Exception e) {
      throw new RotorException(ErrorCode.UNAVAILABLE, "the database is unavailable", e);
    }
  }

  /** Runs {@code work} on an auto-commit connection. */
  <T> T read(SqlWork<T> work) {
    try (Connection c = db.getConnection()) {
      return work.apply(c);
    } catch (AcmeException | RotorException e) {
      throw e;
    } catch (Exception e) {
      throw new RotorException(ErrorCode.UNAVAILABLE, "the database is unavailable", e);
    }
  }

  // ---- secrets and nonces

  /** The secret called {@code name}: the one a replica created first. */
  public byte[] secret(String name, byte[] candidate) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO acme_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
        ps.setString(1, name);
        ps.setBytes(2, candidate);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT value FROM acme_secrets WHERE name = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getBytes(1);
        }
      }
    });
  }

  /**
   * True if the nonce was not spent before (and now is).
   *
   * <p>Committed with {@code synchronous_commit = off}: every ACME POST spends a nonce, and an fsync
   * each would dominate an order's latency. The row is visible to every replica at once; only a
   * crash of PostgreSQL itself can lose the last few hundred milliseconds of spends, which reopens
   * those nonces to a replay until they expire. Known limitation, accepted for the throughput.
   *
   * <p>One auto-commit statement, one round trip: {@code set_config(…, true)} sets the setting for
   * the statement's own transaction, and PostgreSQL reads it when that transaction commits (a
   * {@code SET LOCAL} needs an explicit transaction: three round trips per ACME request).
   */
  public boolean spendNonce(String nonce, Instant expires) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(ASYNC_COMMIT + "INSERT INTO acme_spent_nonces (nonce, expires_at)"
          + " SELECT CAST(? AS text), CAST(? AS timestamptz) FROM async ON CONFLICT (nonce) DO NOTHING")) {
        ps.setString(1, nonce);
        ps.setTimestamp(2, Timestamp.from(expires));
        return ps.executeUpdate() == 1;
      }
    });
  }

  /**
   * Prefix of an auto-commit statement whose commit does not wait for the WAL flush; the statement
   * must select from {@code async} so that the setting is made.
   */
  private static final String ASYNC_COMMIT = "WITH async AS (SELECT set_config('synchronous_commit', 'off', true)) ";

  public int deleteSpentNonces(Instant now) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM acme_spent_nonces WHERE expires_at < ?")) {
        ps.setTimestamp(1, Timestamp.from(now));
        return ps.executeUpdate();
      }
    });
  }

  // ---- accounts

  private static final String ACCOUNT_COLUMNS = "id, key_thumbprint, jwk, status, contact, tos_agreed, eab_key_id, created_at";

  public Optional<Account> account(long id) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + ACCOUNT_COLUMNS + " FROM acme_accounts WHERE id = ?")) {
        ps.setLong(1, id);
        return one(ps, this::account);
      }
    });
  }

  public Optional<Account> accountByThumbprint(String thumbprint) {
    return read(c -> accountByThumbprint(c, thumbprint));
  }

  Optional<Account> accountByThumbprint(Connection c, String thumbprint) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + ACCOUNT_COLUMNS + " FROM acme_accounts WHERE key_thumbprint = ?")) {
      ps.setString(1, thumbprint);
      return one(ps, this::account);
    }
  }

  /** Inserts an account; empty when the key already has one (a concurrent request won). */
  Optional<Long> insertAccount(Connection c, String thumbprint, String jwk, List<String> contact, boolean tos, String eabKeyId)
      throws Exception {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO acme_accounts (key_thumbprint, jwk, status, contact, tos_agreed, eab_key_id)"
        + " VALUES (?, ?, 'valid', ?, ?, ?) ON CONFLICT (key_thumbprint) DO NOTHING RETURNING id")) {
      ps.setString(1, thumbprint);
      ps.setString(2, jwk);
      ps.setString(3, json.writeValueAsString(contact));
      ps.setBoolean(4, tos);
      ps.setString(5, eabKeyId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  Optional<EabKey> eabKeyForUpdate(Connection c, String keyId) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT key_id, hmac_key, used_at FROM acme_eab_keys WHERE key_id = ? FOR UPDATE")) {
      ps.setString(1, keyId);
      return one(ps, rs -> new EabKey(rs.getString(1), rs.getBytes(2), instant(rs, 3)));
    }
  }

  void useEabKey(Connection c, String keyId, long accountId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE acme_eab_keys SET used_at = now(), account_id = ? WHERE key_id = ?")) {
      ps.setLong(1, accountId);
      ps.setString(2, keyId);
      ps.executeUpdate();
    }
  }

  void insertEabKey(Connection c, String keyId, byte[] key, String label, String createdBy) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO acme_eab_keys (key_id, hmac_key, label, created_by) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, keyId);
      ps.setBytes(2, key);
      ps.setString(3, label);
      ps.setString(4, createdBy);
      ps.executeUpdate();
    }
  }

  /** Updates contact (if non-null) and status (if non-null) of a valid account; false if it is not valid. */
  boolean updateAccount(Connection c, long id, List<String> contact, String status) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("UPDATE acme_accounts SET contact = coalesce(?, contact), status = coalesce(?, status),"
        + " updated_at = now() WHERE id = ? AND status = 'valid'")) {
      ps.setString(1, contact == null ? null : json.writeValueAsString(contact));
      ps.setString(2, status);
      ps.setLong(3, id);
      return ps.executeUpdate() == 1;
    }
  }

  /** Replaces the key of a valid account whose key is still {@code oldThumbprint}; false otherwise. */
  boolean changeKey(Connection c, long id, String oldThumbprint, String newThumbprint, String newJwk) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE acme_accounts SET key_thumbprint = ?, jwk = ?, updated_at = now()"
        + " WHERE id = ? AND key_thumbprint = ? AND status = 'valid'")) {
      ps.setString(1, newThumbprint);
      ps.setString(2, newJwk);
      ps.setLong(3, id);
      ps.setString(4, oldThumbprint);
      return ps.executeUpdate() == 1;
    }
  }

  private Account account(ResultSet rs) throws Exception {
    return new Account(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), json.readValue(rs.getString(5), STRINGS),
        rs.getBoolean(6), rs.getString(7), instant(rs, 8));
  }

  // ---- rate limits

  public int pendingAuthorizations(long accountId, Instant now) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*) FROM acme_authorizations WHERE account_id = ? AND status = 'pending' AND expires_at > ?")) {
        ps.setLong(1, accountId);
        ps.setTimestamp(2, Timestamp.from(now));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }

  public void deleteOldRateWindows(Instant before) {
    read(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM acme_rate_windows WHERE window_start < ?")) {
        ps.setTimestamp(1, Timestamp.from(before));
        return ps.executeUpdate();
      }
    });
  }

  // ---- orders, authorizations, challenges

  /**
   * A new order with one authorization per identifier and its challenges, counted in the account's
   * rate window in the same transaction; returns the order as created, or empty (nothing changed)
   * when the window already holds {@code limit} orders.
   */
  public Optional<Order> createOrder(long accountId, String profile, List<Identifier> identifiers, Instant expires, String replaces,
      List<List<String>> challengeTypes, List<String> tokens, Instant window, int limit) {
    return tx(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO acme_rate_windows (account_id, window_start, orders) VALUES (?, ?, 1)"
          + " ON CONFLICT (account_id, window_start) DO UPDATE SET orders = acme_rate_windows.orders + 1"
          + " WHERE acme_rate_windows.orders < ? RETURNING orders")) {
        ps.setLong(1, accountId);
        ps.setTimestamp(2, Timestamp.from(window));
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
        }
      }
      long orderId;
      Instant createdAt;
      Instant updatedAt;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO acme_orders (account_id, profile, status, identifiers, expires_at, replaces)"
          + " VALUES (?, ?, 'pending', ?, ?, ?) RETURNING id, created_at, updated_at")) {
        ps.setLong(1, accountId);
        ps.setString(2, profile);
        ps.setString(3, json.writeValueAsString(identifiers.stream().map(Identifier::toJson).toList()));
        ps.setTimestamp(4, Timestamp.from(expires));
        ps.setString(5, replaces);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          orderId = rs.getLong(1);
          createdAt = instant(rs, 2);
          updatedAt = instant(rs, 3);
        }
      }
      List<Long> authzIds = new ArrayList<>();
      int t = 0;
      try (PreparedStatement az = c.prepareStatement("INSERT INTO acme_authorizations (order_id, account_id, type, value, wildcard, status, expires_at)"
          + " VALUES (?, ?, ?, ?, ?, 'pending', ?) RETURNING id");
           PreparedStatement ch = c.prepareStatement("INSERT INTO acme_challenges (authz_id, type, token, status) VALUES (?, ?, ?, 'pending')")) {
        for (int i = 0; i < identifiers.size(); i++) {
          Identifier id = identifiers.get(i);
          az.setLong(1, orderId);
          az.setLong(2, accountId);
          az.setString(3, id.type());
          az.setString(4, id.baseName());
          az.setBoolean(5, id.isWildcard());
          az.setTimestamp(6, Timestamp.from(expires));
          long authzId;
          try (ResultSet rs = az.executeQuery()) {
            rs.next();
            authzId = rs.getLong(1);
          }
          authzIds.add(authzId);
          for (String type : challengeTypes.get(i)) {
            ch.setLong(1, authzId);
            ch.setString(2, type);
            ch.setString(3, tokens.get(t++));
            ch.addBatch();
          }
        }
        ch.executeBatch();
      }
      return Optional.of(new Order(orderId, accountId, profile, "pending", identifiers, expires, null, null, replaces, createdAt,
          updatedAt, null, List.copyOf(authzIds)));
    });
  }

  private static final String ORDER_COLUMNS = "id, account_id, profile, status, identifiers, expires_at, error, certificate_serial, replaces,"
      + " created_at, updated_at, csr, ARRAY(SELECT az.id FROM acme_authorizations az WHERE az.order_id = acme_orders.id ORDER BY az.id)";

  public Optional<Order> order(long id) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + ORDER_COLUMNS + " FROM acme_orders WHERE id = ?")) {
        ps.setLong(1, id);
        return one(ps, this::order);
      }
    });
  }

  /** The order that produced certificate {@code serial}, if an ACME order did. */
  public Optional<Order> orderByCertificate(String serial) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + ORDER_COLUMNS + " FROM acme_orders WHERE certificate_serial = ?")) {
        ps.setString(1, serial);
        return one(ps, this::order);
      }
    });
  }

  /** Whether an order that is not invalid already names {@code certId} as the certificate it replaces. */
  public boolean isReplaced(String certId) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM acme_orders WHERE replaces = ? AND status <> 'invalid' LIMIT 1")) {
        ps.setString(1, certId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Ids of the account's orders that have not expired or that produced a certificate, newest first. */
  public List<Long> orderIds(long accountId, Instant now, int limit) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM acme_orders WHERE account_id = ?"
          + " AND (expires_at > ? OR status = 'valid') ORDER BY id DESC LIMIT ?")) {
        ps.setLong(1, accountId);
        ps.setTimestamp(2, Timestamp.from(now));
        ps.setInt(3, limit);
        List<Long> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getLong(1));
          }
        }
        return ids;
      }
    });
  }

  /**
   * ready → processing with the CSR stored; false when the order was not ready.
   *
   * <p>Committed without waiting for the WAL flush: the issuance that follows commits its
   * pre-record durably before it signs, and that flush covers this earlier change too. A crash
   * before it leaves the order ready, with nothing issued, and the client finalizes again.
   */
  public boolean startProcessing(long orderId, byte[] csr) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(ASYNC_COMMIT + "UPDATE acme_orders SET status = 'processing', csr = ?,"
          + " updated_at = now() FROM async WHERE id = ? AND status = 'ready'")) {
        ps.setBytes(1, csr);
        ps.setLong(2, orderId);
        return ps.executeUpdate() == 1;
      }
    });
  }

  /** processing → valid with the certificate, inside a journal transaction (audited with it). */
  boolean completeOrder(Connection c, long orderId, String serial) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE acme_orders SET status = 'valid', certificate_serial = ?, updated_at = now()"
        + " WHERE id = ? AND status = 'processing'")) {
      ps.setString(1, serial);
      ps.setLong(2, orderId);
      return ps.executeUpdate() == 1;
    }
  }

  /** Any non-final order → invalid with a problem. */
  public void failOrder(long orderId, String problemJson) {
    read(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_orders SET status = 'invalid', error = ?, updated_at = now()"
          + " WHERE id = ? AND status IN ('pending', 'ready', 'processing')")) {
        ps.setString(1, problemJson);
        ps.setLong(2, orderId);
        return ps.executeUpdate();
      }
    });
  }

  /** Orders stuck in processing since before {@code before} (the replica finalizing them stopped). */
  public List<Long> stalledOrders(Instant before, int limit) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM acme_orders WHERE status = 'processing' AND updated_at < ?"
          + " ORDER BY updated_at LIMIT ?")) {
        ps.setTimestamp(1, Timestamp.from(before));
        ps.setInt(2, limit);
        List<Long> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getLong(1));
          }
        }
        return ids;
      }
    });
  }

  /** Takes over a stalled processing order (bumps updated_at); false if another replica did. */
  public boolean claimStalled(long orderId, Instant before) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_orders SET updated_at = now() WHERE id = ? AND status = 'processing'"
          + " AND updated_at < ?")) {
        ps.setLong(1, orderId);
        ps.setTimestamp(2, Timestamp.from(before));
        return ps.executeUpdate() == 1;
      }
    });
  }

  /** pending → deactivated; false when not pending or valid. */
  public boolean deactivateAuthorization(long id) {
    return tx(c -> {
      long orderId;
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_authorizations SET status = 'deactivated'"
          + " WHERE id = ? AND status IN ('pending', 'valid') RETURNING order_id")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
          orderId = rs.getLong(1);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_orders SET status = 'invalid', updated_at = now()"
          + " WHERE id = ? AND status IN ('pending', 'ready')")) {
        ps.setLong(1, orderId);
        ps.executeUpdate();
      }
      return true;
    });
  }

  private static Authorization authorization(ResultSet rs) throws SQLException {
    return authorization(rs, 0);
  }

  /** The authorization in the eight columns after {@code offset}: id, order_id, account_id, type, value, wildcard, status, expires_at. */
  private static Authorization authorization(ResultSet rs, int offset) throws SQLException {
    return new Authorization(rs.getLong(offset + 1), rs.getLong(offset + 2), rs.getLong(offset + 3), rs.getString(offset + 4),
        rs.getString(offset + 5), rs.getBoolean(offset + 6), rs.getString(offset + 7), instant(rs, offset + 8));
  }

  private static final String CHALLENGE_COLUMNS = "id, authz_id, type, token, status, validated_at, error, attempts";

  /** A challenge's columns ({@link #challenge}), then its authorization's ({@link #authorization} at offset 8). */
  private static final String CHALLENGE_THEN_AUTHORIZATION = "ch.id, ch.authz_id, ch.type, ch.token, ch.status,"
      + " ch.validated_at, ch.error, ch.attempts, az.id, az.order_id, az.account_id, az.type, az.value, az.wildcard,"
      + " az.status, az.expires_at";

  /** The challenge and its authorization in one query. */
  public Optional<ChallengeOf> challengeOf(long id) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + CHALLENGE_THEN_AUTHORIZATION
          + " FROM acme_challenges ch JOIN acme_authorizations az ON az.id = ch.authz_id WHERE ch.id = ?")) {
        ps.setLong(1, id);
        return one(ps, rs -> new ChallengeOf(challenge(rs), authorization(rs, 8)));
      }
    });
  }

  /** The authorization and its challenges (in order) in one query. */
  public Optional<AuthorizationWith> authorizationWith(long id) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + CHALLENGE_THEN_AUTHORIZATION
          + " FROM acme_authorizations az JOIN acme_challenges ch ON ch.authz_id = az.id WHERE az.id = ? ORDER BY ch.id")) {
        ps.setLong(1, id);
        Authorization az = null;
        List<Challenge> challenges = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            az = az == null ? authorization(rs, 8) : az;
            challenges.add(challenge(rs));
          }
        }
        return az == null ? Optional.<AuthorizationWith>empty() : Optional.of(new AuthorizationWith(az, List.copyOf(challenges)));
      }
    });
  }


  public Optional<Challenge> challenge(long id) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + CHALLENGE_COLUMNS + " FROM acme_challenges WHERE id = ?")) {
        ps.setLong(1, id);
        return one(ps, AcmeStore::challenge);
      }
    });
  }

  /**
   * pending → processing, claimed by the caller for its first attempt (lease until
   * {@code leaseUntil}), only while its authorization is pending and no other challenge of it is
   * being validated. Empty when nothing changed. If the caller stops before recording an outcome,
   * the lease runs out and {@link #claimDue} hands the challenge to any replica.
   */
  public Optional<Claimed> startValidation(long challengeId, Instant now, Instant leaseUntil) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_challenges ch SET status = 'processing', next_attempt_at = ?,"
          + " attempts = ch.attempts + 1 FROM acme_authorizations az, acme_accounts a"
          + " WHERE ch.id = ? AND ch.status = 'pending' AND az.id = ch.authz_id AND az.status = 'pending' AND a.id = az.account_id"
          + " AND az.expires_at > ? AND NOT EXISTS (SELECT 1 FROM acme_challenges o WHERE o.authz_id = ch.authz_id AND o.status = 'processing')"
          + " RETURNING ch.id, ch.authz_id, az.order_id, ch.type, ch.token, az.type, az.value, a.jwk, ch.attempts")) {
        ps.setTimestamp(1, Timestamp.from(leaseUntil));
        ps.setLong(2, challengeId);
        ps.setTimestamp(3, Timestamp.from(now));
        return one(ps, rs -> new Claimed(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7), rs.getString(8), rs.getInt(9)));
      }
    });
  }

  /**
   * Claims up to {@code limit} due challenges for validation: each gets a lease until
   * {@code leaseUntil} (another replica, or this one after a restart, takes it after that).
   */
  public List<Claimed> claimDue(Instant now, Instant leaseUntil, int limit) {
    return tx(c -> {
      List<Claimed> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_challenges ch SET next_attempt_at = ?, attempts = ch.attempts + 1"
          + " FROM acme_authorizations az, acme_accounts a"
          + " WHERE ch.id IN (SELECT id FROM acme_challenges WHERE status = 'processing' AND next_attempt_at <= ?"
          + "   ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)"
          + " AND az.id = ch.authz_id AND a.id = az.account_id"
          + " RETURNING ch.id, ch.authz_id, az.order_id, ch.type, ch.token, az.type, az.value, a.jwk, ch.attempts")) {
        ps.setTimestamp(1, Timestamp.from(leaseUntil));
        ps.setTimestamp(2, Timestamp.from(now));
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Claimed(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getString(7), rs.getString(8), rs.getInt(9)));
          }
        }
      }
      return out;
    });
  }

  /** Validation succeeded: challenge and authorization valid; the order ready once all its authorizations are. */
  public void validated(Claimed ch, Instant now) {
    tx(c -> {
      // Challenge and authorization in one statement; nothing more to do unless both changed (an
      // authorization that did not just become valid cannot make its order ready).
      try (PreparedStatement ps = c.prepareStatement("WITH ch AS (UPDATE acme_challenges SET status = 'valid', validated_at = ?,"
          + " next_attempt_at = NULL WHERE id = ? AND status = 'processing' RETURNING authz_id)"
          + " UPDATE acme_authorizations SET status = 'valid' WHERE id = (SELECT authz_id FROM ch) AND status = 'pending'")) {
        ps.setTimestamp(1, Timestamp.from(now));
        ps.setLong(2, ch.challengeId());
        if (ps.executeUpdate() == 0) {
          return null;
        }
      }
      // Lock the order row so that two authorizations validated at once see each other.
      try (PreparedStatement ps = c.prepareStatement("SELECT status FROM acme_orders WHERE id = ? FOR UPDATE")) {
        ps.setLong(1, ch.orderId());
        ps.executeQuery().close();
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_orders SET status = 'ready', updated_at = now() WHERE id = ? AND status = 'pending'"
          + " AND expires_at > ? AND NOT EXISTS (SELECT 1 FROM acme_authorizations WHERE order_id = ? AND status <> 'valid')")) {
        ps.setLong(1, ch.orderId());
        ps.setTimestamp(2, Timestamp.from(now));
        ps.setLong(3, ch.orderId());
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** Try again at {@code at}. */
  public void retryAt(long challengeId, Instant at) {
    read(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_challenges SET next_attempt_at = ? WHERE id = ? AND status = 'processing'")) {
        ps.setTimestamp(1, Timestamp.from(at));
        ps.setLong(2, challengeId);
        return ps.executeUpdate();
      }
    });
  }

  /** Validation failed for good: challenge, authorization and order invalid (RFC 8555 §7.1.6). */
  public void invalidated(Claimed ch, String problemJson) {
    tx(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_challenges SET status = 'invalid', error = ?, next_attempt_at = NULL"
          + " WHERE id = ? AND status = 'processing'")) {
        ps.setString(1, problemJson);
        ps.setLong(2, ch.challengeId());
        if (ps.executeUpdate() == 0) {
          return null;
        }
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_authorizations SET status = 'invalid' WHERE id = ? AND status = 'pending'")) {
        ps.setLong(1, ch.authzId());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE acme_orders SET status = 'invalid', error = ?, updated_at = now()"
          + " WHERE id = ? AND status IN ('pending', 'ready')")) {
        ps.setString(1, problemJson);
        ps.setLong(2, ch.orderId());
        ps.executeUpdate();
      }
      return null;
    });
  }

  private static Challenge challenge(ResultSet rs) throws SQLException {
    return new Challenge(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), instant(rs, 6),
        rs.getString(7), rs.getInt(8));
  }

  private Order order(ResultSet rs) throws Exception {
    return new Order(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), json.readValue(rs.getString(5), IDENTIFIERS),
        instant(rs, 6), rs.getString(7), rs.getString(8), rs.getString(9), instant(rs, 10), instant(rs, 11), rs.getBytes(12),
        List.of((Long[]) rs.getArray(13).getArray()));
  }

  // ---- helpers

  @FunctionalInterface
  private interface Row<T> {
    T read(ResultSet rs) throws Exception;
  }

  private static <T> Optional<T> one(PreparedStatement ps, Row<T> row) throws Exception {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(row.read(rs)) : Optional.empty();
    }
  }

  private static Instant instant(ResultSet rs, int i) throws SQLException {
    Timestamp t = rs.getTimestamp(i);
    return t == null ? null : t.toInstant();
  }

}
