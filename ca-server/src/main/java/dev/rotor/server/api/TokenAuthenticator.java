package dev.rotor.server.api;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.store.PgTokenStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Bearer tokens: {@code rotor_} + 256 random bits, base64url. Only their SHA-256 is stored; a
 * slow password hash buys nothing for 256-bit random secrets. Successful lookups are cached for
 * {@link #CACHE_TTL} so the issuance hot path does not pay a database round trip per request.
 */
public final class TokenAuthenticator {

  static final Duration CACHE_TTL = Duration.ofSeconds(10);
  private static final int MAX_TOKEN_LENGTH = 256;
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Cached(Principal principal, Instant until) {}

  private final PgTokenStore tokens;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final Optional<Sessions> sessions;

  public TokenAuthenticator(PgTokenStore tokens, Clock clock) {
    this(tokens, clock, null);
  }

  /** With {@code sessions}, requests without an Authorization header may use a UI session cookie. */
  public TokenAuthenticator(PgTokenStore tokens, Clock clock, Sessions sessions) {
    this.tokens = tokens;
    this.clock = clock;
    this.sessions = Optional.ofNullable(sessions);
  }

  /**
   * The caller of a request holding at least {@code role}: a bearer token, or else a UI session
   * cookie, which for anything but GET and HEAD also needs the session's CSRF token in
   * {@value Sessions#CSRF_HEADER}.
   */
  public Principal require(Exchange ex, Role role) {
    Principal p = authenticate(ex);
    if (!p.role().includes(role)) {
      throw new RotorException(ErrorCode.FORBIDDEN, "role " + p.role().wire() + " may not do this; it needs " + role.wire());
    }
    return p;
  }

  /** The caller of a request (bearer token or session cookie, see {@link #require(Exchange, Role)}). */
  public Principal authenticate(Exchange ex) {
    String authorization = ex.header(HttpHeader.AUTHORIZATION);
    Optional<String> cookie = sessions.isPresent() && authorization == null ? ex.cookie(Sessions.COOKIE) : Optional.empty();
    if (cookie.isEmpty()) {
      return authenticate(authorization);
    }
    Sessions.Session s = sessions.get().find(cookie.get())
        .orElseThrow(() -> new RotorException(ErrorCode.UNAUTHENTICATED, "the session has expired or ended; log in again"));
    String method = ex.request().getMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      String sent = ex.request().getHeaders().get(Sessions.CSRF_HEADER);
      if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), s.csrfToken().getBytes(StandardCharsets.UTF_8))) {
        throw new RotorException(ErrorCode.CSRF, "a request with the session cookie must carry the session's " + Sessions.CSRF_HEADER + " header");
      }
    }
    return s.principal();
  }

  /** A new random token. */
  public static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "rotor_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The principal for an {@code Authorization} header value holding at least {@code role}; UNAUTHENTICATED or FORBIDDEN otherwise. */
  public Principal require(String authorization, Role role) {
    Principal p = authenticate(authorization);
    if (!p.role().includes(role)) {
      throw new RotorException(ErrorCode.FORBIDDEN, "role " + p.role().wire() + " may not do this; it needs " + role.wire());
    }
    return p;
  }

  /** The principal for an {@code Authorization} header value, or UNAUTHENTICATED. */
  public Principal authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "send Authorization: Bearer <token>");
    }
    String token = authorization.substring(7).trim();
    if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "invalid token");
    }
    byte[] hash = hash(token);
    String key = HexFormat.of().formatHex(hash);
    Instant now = clock.instant();
    Cached cached = cache.get(key);
    if (cached != null && now.isBefore(cached.until())) {
      return cached.principal();
    }
    Optional<PgTokenStore.TokenRecord> found = tokens.findByHash(hash);
    if (found.isEmpty()) {
      cache.remove(key);
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "invalid token");
    }
    Principal p = new Principal("token:" + found.get().name(),
        Role.fromWire(found.get().role()).orElseThrow(() -> new IllegalStateException("bad role in database")));
    if (cache.size() > 10_000) {
      cache.clear();
    }
    cache.put(key, new Cached(p, now.plus(CACHE_TTL)));
    return p;
  }
}
