package dev.rotor.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.Serials;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.ca.ServerCertificate;
import dev.rotor.server.issuance.Channel;
import dev.rotor.server.issuance.IssuanceRequest;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.issuance.IssuedCertificate;
import dev.rotor.server.revocation.RevocationService;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgAuditLog;
import dev.rotor.server.store.PgCertificateStore;
import dev.rotor.server.store.PgTokenStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The REST API on the HTTPS port ({@code /api/v1}), authenticated with bearer tokens. Handlers
 * are thin: parse, check shape, call the core, map the result.
 */
public final class RestApi {

  /** {@code POST /api/v1/certificates}. */
  public record IssueBody(String csr, String profile, Integer ttlSeconds) {}

  /** {@code POST /api/v1/certificates/{serial}/revoke}. */
  public record RevokeBody(String reason) {}

  /** {@code POST /api/v1/tokens}. */
  public record TokenBody(String name, String role) {}

  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;

  private final IssuanceService issuance;
  private final RevocationService revocation;
  private final PgCertificateStore certificates;
  private final PgAuditLog audit;
  private final PgTokenStore tokens;
  private final Journal journal;
  private final TokenAuthenticator auth;
  private final ActiveCa ca;
  private final Clock clock;
  private final ObjectMapper json;

  public RestApi(IssuanceService issuance, RevocationService revocation, PgCertificateStore certificates, PgAuditLog audit,
      PgTokenStore tokens, Journal journal, TokenAuthenticator auth, ActiveCa ca, Clock clock, ObjectMapper json) {
    this.issuance = issuance;
    this.revocation = revocation;
    this.certificates = certificates;
    this.audit = audit;
    this.tokens = tokens;
    this.journal = journal;
    this.auth = auth;
    this.ca = ca;
    this.clock = clock;
    this.json = json;
  }

  public void register(Router router) {
    router.route("POST", "/api/v1/certificates", this::issue)
        .route("GET", "/api/v1/certificates", this::search)
        .route("GET", "/api/v1/certificates/{serial}", this::get)
        .route("POST", "/api/v1/certificates/{serial}/revoke", this::revoke)
        .route("GET", "/api/v1/profiles", this::profiles)
        .route("GET", "/api/v1/audit", this::auditList)
        .route("GET", "/api/v1/audit/verify", this::auditVerify)
        .route("POST", "/api/v1/tokens", this::createToken);
  }

  private Principal require(Exchange ex, Role role) {
    return auth.require(ex, role);
  }

  private void issue(Exchange ex) throws Exception {
    Principal p = require(ex, Role.OPERATOR);
    IssueBody body = ex.readJson(IssueBody.class);
    if (body.csr() == null || body.csr().isBlank()) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "csr is required (a PEM certificate signing request)");
    }
    String profile = body.profile() == null ? "workload" : body.profile();
    IssuedCertificate c = issuance.issue(new IssuanceRequest(body.csr(), Optional.empty(), profile, body.ttlSeconds(),
        p.name(), Channel.REST));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("serial", c.serialHex());
    out.put("certificate", c.certificatePem());
    out.put("chain", c.chainPem());
    out.put("notBefore", c.notBefore().toString());
    out.put("notAfter", c.notAfter().toString());
    out.put("sans", c.sans());
    out.put("profile", c.profile());
    ex.responseHeader("Location", "/api/v1/certificates/" + c.serialHex());
    ex.json(201, out);
  }

  private void search(Exchange ex) throws Exception {
    require(ex, Role.VIEWER);
    Optional<PgCertificateStore.Status> status = ex.query("status").map(s -> switch (s) {
      case "active" -> PgCertificateStore.Status.ACTIVE;
      case "revoked" -> PgCertificateStore.Status.REVOKED;
      case "expired" -> PgCertificateStore.Status.EXPIRED;
      default -> throw new RotorException(ErrorCode.MALFORMED_REQUEST, "status must be active, revoked or expired");
    });
    Optional<String> q = ex.query("q");
    if (q.isPresent() && q.get().length() > 256) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "q is limited to 256 characters");
    }
    Optional<String> profile = ex.query("profile");
    if (profile.isPresent() && !issuance.profiles().containsKey(profile.get()) && !profile.get().equals(ServerCertificate.PROFILE)) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "profile must be one of " + String.join(", ", issuance.profiles().keySet()));
    }
    Optional<String> channel = ex.query("door").or(() -> ex.query("channel"));
    if (channel.isPresent() && java.util.Arrays.stream(Channel.values()).noneMatch(c -> c.wire().equals(channel.get()))) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "door must be one of rest, agent, acme, crd, system");
    }
    int limit = limit(ex);
    Optional<Long> cursor = ex.query("cursor").map(RestApi::decodeCursor);
    Instant now = clock.instant();
    PgCertificateStore.Page page = certificates.search(status, q, profile, channel, limit, cursor, now);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", page.items().stream().map(r -> summary(r, now)).toList());
    out.put("next", page.nextCursor().map(RestApi::encodeCursor).orElse(null));
    ex.json(200, out);
  }

  private void get(Exchange ex) throws Exception {
    require(ex, Role.VIEWER);
    String serial = serial(ex.path("serial"));
    CertificateRecord r = certificates.find(serial)
        .orElseThrow(() -> new RotorException(ErrorCode.NOT_FOUND, "no certificate with serial " + serial));
    String leaf = Pem.certificate(r.der());
    String chain = leaf + ca.current().chainAbovePem(r.issuerId());
    if (ex.accepts("application/pem-certificate-chain")) {
      ex.send(200, "application/pem-certificate-chain", chain.getBytes(StandardCharsets.US_ASCII));
      return;
    }
    Map<String, Object> out = summary(r, clock.instant());
    out.put("requester", r.requester());
    out.put("fields", CertificateFields.of(r.der()));
    out.put("certificate", leaf);
    out.put("chain", chain);
    ex.json(200, out);
  }

  private void revoke(Exchange ex) throws Exception {
    Principal p = require(ex, Role.OPERATOR);
    String serial = serial(ex.path("serial"));
    RevokeBody body = ex.readJson(RevokeBody.class);
    PgCertificateStore.Revocation r = revocation.revoke(serial, body.reason(), p.name());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("serial", r.serial());
    out.put("revokedAt", r.revokedAt().toString());
    out.put("reason", r.reason());
    ex.json(200, out);
  }

  private void profiles(Exchange ex) throws Exception {
    require(ex, Role.VIEWER);
    ex.json(200, Map.of("items", issuance.profiles().values().stream().map(p -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", p.name());
      m.put("nameForms", p.nameForms());
      m.put("keyTypes", p.keyTypes());
      m.put("defaultTtlSeconds", p.defaultTtl().toSeconds());
      m.put("minTtlSeconds", p.minTtl().toSeconds());
      m.put("maxTtlSeconds", p.maxTtl().toSeconds());
      m.put("usages", p.usages());
      return m;
    }).toList()));
  }

  private void auditList(Exchange ex) throws Exception {
    require(ex, Role.VIEWER);
    int limit = limit(ex);
    Optional<Long> cursor = ex.query("cursor").map(RestApi::decodeCursor);
    Optional<String> action = ex.query("action");
    Optional<String> actor = ex.query("actor");
    if (action.filter(a -> a.length() > 100).isPresent() || actor.filter(a -> a.length() > 300).isPresent()) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "action is limited to 100 characters, actor to 300");
    }
    PgAuditLog.Page page = audit.list(limit, cursor, action, actor);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", page.items().stream().map(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seq", e.seq());
      m.put("at", e.at().toString());
      m.put("actor", e.actor());
      m.put("action", e.action());
      m.put("target", e.target());
      try {
        m.put("details", json.readTree(e.details()));
      } catch (JsonProcessingException bad) {
        m.put("details", e.details());
      }
      m.put("hash", e.hash());
      return m;
    }).toList());
    out.put("next", page.nextCursor().map(RestApi::encodeCursor).orElse(null));
    ex.json(200, out);
  }

  private void auditVerify(Exchange ex) throws Exception {
    require(ex, Role.VIEWER);
    PgAuditLog.Verification v = audit.verify();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ok", v.ok());
    out.put("entries", v.entries());
    v.firstBadSeq().ifPresent(s -> out.put("firstBadSeq", s));
    v.problem().ifPresent(s -> out.put("problem", s));
    ex.json(200, out);
  }

  private void createToken(Exchange ex) throws Exception {
    Principal p = require(ex, Role.ADMIN);
    TokenBody body = ex.readJson(TokenBody.class);
    if (body.name() == null || !body.name().matches("[A-Za-z0-9._-]{1,64}")) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "name must be 1-64 characters of letters, digits, '.', '_' or '-'");
    }
    Role role = Role.fromWire(body.role() == null ? "" : body.role())
        .orElseThrow(() -> new RotorException(ErrorCode.MALFORMED_REQUEST, "role must be viewer, operator or admin"));
    String token = TokenAuthenticator.newToken();
    byte[] hash = TokenAuthenticator.hash(token);
    journal.execute(tx -> {
      tokens.create(tx, body.name(), role.wire(), hash, p.name());
      tx.audit(p.name(), "token.created", body.name(), json.writeValueAsString(Map.of("name", body.name(), "role", role.wire())));
      return null;
    });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", body.name());
    out.put("role", role.wire());
    out.put("token", token);
    ex.json(201, out);
  }

  private Map<String, Object> summary(CertificateRecord r, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("serial", r.serial());
    m.put("status", r.status(now));
    m.put("profile", r.profile());
    m.put("channel", r.channel());
    m.put("subject", r.subject());
    m.put("sans", r.sans());
    m.put("notBefore", r.notBefore().toString());
    m.put("notAfter", r.notAfter().toString());
    m.put("issuedAt", r.createdAt().toString());
    m.put("revokedAt", r.revokedAt() == null ? null : r.revokedAt().toString());
    m.put("revocationReason", r.revocationReason());
    return m;
  }

  private static int limit(Exchange ex) {
    Optional<String> s = ex.query("limit");
    if (s.isEmpty()) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(s.get());
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new RotorException(ErrorCode.MALFORMED_REQUEST, "limit must be a number from 1 to " + MAX_LIMIT);
  }

  /** Normalises a serial from a URL: hex, case-insensitive, leading zeros ignored. */
  static String serial(String raw) {
    try {
      return Serials.toHex(Serials.fromHex(raw.toLowerCase(Locale.ROOT)));
    } catch (PkiException e) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "serial must be 1 to 40 hexadecimal digits");
    }
  }

  static String encodeCursor(long id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(ByteBuffer.allocate(8).putLong(id).array());
  }

  static long decodeCursor(String cursor) {
    try {
      byte[] b = Base64.getUrlDecoder().decode(cursor);
      if (b.length == 8) {
        return ByteBuffer.wrap(b).getLong();
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw new RotorException(ErrorCode.MALFORMED_REQUEST, "cursor is not one this server returned");
  }

}
