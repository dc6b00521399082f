package dev.rotor.agent.api;

/**
 * A failed call to the agent API, sorted into what the caller should do about it (SPIRE's split:
 * retry with backoff, re-attest, or give up on this request).
 */
public final class ApiError extends Exception {

  /** What a failure means for the caller. */
  public enum Kind {
    /** The server could not be reached, timed out, or answered 5xx: keep what you have, retry with backoff. */
    UNAVAILABLE,
    /** 401: the credential presented (token or agent certificate) is not accepted; re-attest. */
    UNAUTHENTICATED,
    /** 403: authenticated, but not allowed this (no pod of the identity on the node, a revoked agent). */
    FORBIDDEN,
    /** Any other 4xx: the request itself is wrong; retrying the same request will not help. */
    REJECTED
  }

  private final Kind kind;
  private final int status;
  private final String problemType;

  public ApiError(Kind kind, int status, String problemType, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
    this.problemType = problemType;
  }

  /** The failure for an HTTP status and its problem+json {@code type} and {@code detail}. */
  public static ApiError ofStatus(int status, String problemType, String detail) {
    Kind kind = status == 401 ? Kind.UNAUTHENTICATED
        : status == 403 ? Kind.FORBIDDEN
        : status >= 500 || status == 408 || status == 429 ? Kind.UNAVAILABLE
        : Kind.REJECTED;
    return new ApiError(kind, status, problemType, "HTTP " + status + (detail == null ? "" : ": " + detail), null);
  }

  /** The server could not be reached (connection refused, TLS failure, timeout). */
  public static ApiError unreachable(Throwable cause) {
    String what = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    return new ApiError(Kind.UNAVAILABLE, 0, null, "server unreachable (" + what + ")", cause);
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, or 0 when there was no response. */
  public int status() {
    return status;
  }

  /** The problem+json {@code type}, or null. */
  public String problemType() {
    return problemType;
  }
}
