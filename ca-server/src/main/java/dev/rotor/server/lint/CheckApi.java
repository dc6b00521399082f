package dev.rotor.server.lint;

import dev.rotor.server.api.Exchange;
import dev.rotor.server.api.Role;
import dev.rotor.server.api.Router;
import dev.rotor.server.api.TokenAuthenticator;

/**
 * {@code GET /api/v1/ca/check}: what the checker job found (admin); {@code POST /api/v1/ca/check}:
 * run a pass now and answer with the report (admin).
 */
public final class CheckApi {

  private final StoredCertificateChecker checker;
  private final TokenAuthenticator auth;

  public CheckApi(StoredCertificateChecker checker, TokenAuthenticator auth) {
    this.checker = checker;
    this.auth = auth;
  }

  public void register(Router router) {
    router.route("GET", "/api/v1/ca/check", this::report)
        .route("POST", "/api/v1/ca/check", this::runNow);
  }

  private void report(Exchange ex) throws Exception {
    auth.require(ex, Role.ADMIN);
    ex.json(200, StoredCertificateChecker.toJson(checker.report()));
  }

  private void runNow(Exchange ex) throws Exception {
    auth.require(ex, Role.ADMIN);
    ex.json(200, StoredCertificateChecker.toJson(checker.runPass()));
  }
}
