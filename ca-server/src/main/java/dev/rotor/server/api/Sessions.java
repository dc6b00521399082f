package dev.rotor.server.api;

import dev.rotor.server.store.PgSessionStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Browser sessions for the admin UI. Logging in with an API token creates a session whose id
 * travels only in an HttpOnly, Secure, SameSite=Strict cookie; the database keeps its SHA-256.
 * Each session has a CSRF token that every state-changing request made with the cookie must
 * repeat in {@value #CSRF_HEADER}. A session ends on logout or after {@code idle} without use.
 */
public final class Sessions {

  public static final String COOKIE = "rotor_session";
  public static final String CSRF_HEADER = "X-CSRF-Token";
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Base64url of 32 bytes is 43 characters; anything else is not one of ours. */
  private static final int ID_LENGTH = 43;

  /** A live session. */
  public record Session(Principal principal, String csrfToken, Instant expiresAt) {}

  /** A new session and its id (the cookie value, known only to the browser after this). */
  public record Created(String id, Session session) {}

  private final PgSessionStore store;
  private final Clock clock;
  private final Duration idle;

  public Sessions(PgSessionStore store, Clock clock, Duration idle) {
    this.store = store;
    this.clock = clock;
    this.idle = idle;
  }

  public Duration idle() {
    return idle;
  }

  public Created create(Principal principal) {
    String id = random();
    String csrf = random();
    Instant now = clock.instant();
    Instant expires = now.plus(idle);
    store.create(TokenAuthenticator.hash(id), principal.name().substring(principal.name().indexOf(':') + 1),
        principal.role().wire(), csrf, now, expires);
    return new Created(id, new Session(principal, csrf, expires));
  }

  /** The session for a cookie value, extending its idle expiry; empty when unknown or expired. */
  public Optional<Session> find(String id) {
    if (id == null || id.length() != ID_LENGTH) {
      return Optional.empty();
    }
    byte[] hash = TokenAuthenticator.hash(id);
    Instant now = clock.instant();
    Optional<PgSessionStore.SessionRecord> found = store.find(hash, now);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    PgSessionStore.SessionRecord r = found.get();
    Role role = Role.fromWire(r.role()).orElseThrow(() -> new IllegalStateException("bad role in database"));
    Instant expires = r.expiresAt();
    // One write per half minute at most, not one per request.
    if (Duration.between(r.lastSeen(), now).compareTo(Duration.ofSeconds(30)) > 0) {
      expires = now.plus(idle);
      store.touch(hash, now, expires);
    }
    return Optional.of(new Session(new Principal("token:" + r.tokenName(), role), r.csrfToken(), expires));
  }

  /** Ends the session; true if it was live. */
  public boolean end(String id) {
    return id != null && id.length() == ID_LENGTH && store.delete(TokenAuthenticator.hash(id));
  }

  public int purgeExpired() {
    return store.purgeExpired(clock.instant());
  }

  /** The Set-Cookie value that hands a session to the browser. */
  public static String cookie(String id) {
    return COOKIE + "=" + id + "; Path=/; HttpOnly; Secure; SameSite=Strict";
  }

  /** The Set-Cookie value that removes it. */
  public static String clearedCookie() {
    return COOKIE + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
  }

  private static String random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
