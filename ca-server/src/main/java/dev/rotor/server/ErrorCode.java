package dev.rotor.server;

/**
 * The one table of everything that can go wrong in Rotor, and how each door says it.
 *
 * <p>Each constant carries its REST problem type and HTTP status, and whether it is transient (a
 * caller should retry later; nothing about its input is wrong). Adapters never invent statuses:
 * {@code api.ProblemWriter} reads this table, and the ACME and CRD adapters extend it with their
 * own columns when they arrive.
 */
public enum ErrorCode {
  MALFORMED_REQUEST("malformed-request", "Malformed request", 400, false),
  BODY_TOO_LARGE("body-too-large", "Request body too large", 413, false),
  UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type", 415, false),
  BAD_CSR("bad-csr", "Bad certificate signing request", 400, false),
  BAD_PUBLIC_KEY("bad-public-key", "Public key not accepted", 400, false),
  REJECTED_IDENTIFIER("rejected-identifier", "Names not allowed by policy", 400, false),
  BAD_TTL("bad-ttl", "Lifetime outside the profile's bounds", 400, false),
  UNKNOWN_PROFILE("unknown-profile", "Unknown profile", 400, false),
  BAD_REVOCATION_REASON("bad-revocation-reason", "Unknown revocation reason", 400, false),
  UNAUTHENTICATED("unauthenticated", "Missing or invalid token", 401, false),
  FORBIDDEN("forbidden", "Not allowed for this role", 403, false),
  CSRF("csrf", "Missing or invalid CSRF token", 403, false),
  NOT_FOUND("not-found", "Not found", 404, false),
  METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed", 405, false),
  NOT_ACCEPTABLE("not-acceptable", "Not acceptable", 406, false),
  ALREADY_REVOKED("already-revoked", "Certificate already revoked", 409, false),
  CONFLICT("conflict", "Conflict", 409, false),
  /** Load shed before any work: more issuance requests than the server admits; sent with Retry-After. */
  OVERLOADED("overloaded", "Too many requests in progress; retry after the time given", 429, true),
  UNAVAILABLE("unavailable", "Service temporarily unavailable", 503, true),
  INTERNAL("internal", "Internal error", 500, true),
  /**
   * The certificate built for a request broke a rule of the lint gate ({@code dev.rotor.pki.CertificateLint}):
   * a CA bug, not the client's; nothing was signed. The detail names the rule (never any key material).
   */
  CERTIFICATE_LINT("certificate-lint", "Certificate failed the lint gate", 500, false);

  private final String slug;
  private final String title;
  private final int httpStatus;
  private final boolean transientFailure;

  ErrorCode(String slug, String title, int httpStatus, boolean transientFailure) {
    this.slug = slug;
    this.title = title;
    this.httpStatus = httpStatus;
    this.transientFailure = transientFailure;
  }

  /** The short name, e.g. {@code bad-csr}: the last part of the problem type and the metrics outcome tag. */
  public String slug() {
    return slug;
  }

  /** RFC 9457 problem type URI. */
  public String problemType() {
    return "urn:rotor:problem:" + slug;
  }

  public String title() {
    return title;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** True when retrying the same request later may succeed (database down, CA not ready). */
  public boolean isTransient() {
    return transientFailure;
  }
}
