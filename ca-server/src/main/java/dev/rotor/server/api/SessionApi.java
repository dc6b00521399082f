package dev.rotor.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.store.Journal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/v1/session}: the admin UI's login (an API token in, a session cookie out), the
 * current session (with its CSRF token, so a reloaded page can carry on), and logout.
 */
public final class SessionApi {

  /** {@code POST /api/v1/session}. */
  public record LoginBody(String token) {}

  private final TokenAuthenticator auth;
  private final Sessions sessions;
  private final Journal journal;
  private final ObjectMapper json;

  public SessionApi(TokenAuthenticator auth, Sessions sessions, Journal journal, ObjectMapper json) {
    this.auth = auth;
    this.sessions = sessions;
    this.journal = journal;
    this.json = json;
  }

  public void register(Router router) {
    router.route("POST", "/api/v1/session", this::login)
        .route("GET", "/api/v1/session", this::current)
        .route("DELETE", "/api/v1/session", this::logout);
  }

  private void login(Exchange ex) throws Exception {
    LoginBody body = ex.readJson(LoginBody.class);
    if (body.token() == null || body.token().isBlank()) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "token is required");
    }
    Principal p = auth.authenticate("Bearer " + body.token().trim());
    sessions.purgeExpired(); // logins are rare; this keeps the table to live sessions
    Sessions.Created created = sessions.create(p);
    journal.execute(tx -> {
      tx.audit(p.name(), "login", "ui", json.writeValueAsString(Map.of("role", p.role().wire())));
      return null;
    });
    ex.responseHeader("Set-Cookie", Sessions.cookie(created.id()));
    ex.json(201, describe(created.session()));
  }

  private void current(Exchange ex) throws Exception {
    Sessions.Session s = session(ex);
    ex.json(200, describe(s));
  }

  private void logout(Exchange ex) throws Exception {
    // Through the authenticator, so logging out needs the CSRF token like any other change.
    Principal p = auth.authenticate(ex);
    ex.cookie(Sessions.COOKIE).ifPresent(sessions::end);
    journal.execute(tx -> {
      tx.audit(p.name(), "logout", "ui", "{}");
      return null;
    });
    ex.responseHeader("Set-Cookie", Sessions.clearedCookie());
    ex.send(204, "application/json", new byte[0]);
  }

  private Sessions.Session session(Exchange ex) {
    Optional<String> cookie = ex.cookie(Sessions.COOKIE);
    return cookie.flatMap(sessions::find)
        .orElseThrow(() -> new RotorException(ErrorCode.UNAUTHENTICATED, "not logged in"));
  }

  private Map<String, Object> describe(Sessions.Session s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", s.principal().name());
    out.put("role", s.principal().role().wire());
    out.put("csrfToken", s.csrfToken());
    out.put("idleSeconds", sessions.idle().toSeconds());
    out.put("expiresAt", s.expiresAt().toString());
    return out;
  }
}
