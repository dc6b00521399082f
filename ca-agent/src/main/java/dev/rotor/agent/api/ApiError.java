package dev.rotor.agent.api;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

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
  private final Optional<Duration> retryAfter;

  public ApiError(Kind kind, int status, String problemType, String message, Throwable cause) {
    this(kind, status, problemType, message, cause, Optional.empty());
  }

  private ApiError(Kind kind, int status, String problemType, String message, Throwable cause, Optional<Duration> retryAfter) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
    this.problemType = problemType;
    this.retryAfter = retryAfter;
  }

  /** The failure for an HTTP status and its problem+json {@code type} and {@code detail}. */
  public static ApiError ofStatus(int status, String problemType, String detail) {
    return ofStatus(status, problemType, detail, Optional.empty());
  }

  /** As {@link #ofStatus(int, String, String)}, with the server's Retry-After (kept for 429 and 5xx only). */
  public static ApiError ofStatus(int status, String problemType, String detail, Optional<Duration> retryAfter) {
    Kind kind = status == 401 ? Kind.UNAUTHENTICATED
        : status == 403 ? Kind.FORBIDDEN
        : status >= 500 || status == 408 || status == 429 ? Kind.UNAVAILABLE
        : Kind.REJECTED;
    return new ApiError(kind, status, problemType, "HTTP " + status + (detail == null ? "" : ": " + detail), null,
        kind == Kind.UNAVAILABLE ? retryAfter : Optional.empty());
  }

  /**
   * A {@code Retry-After} header value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as a
   * delay from {@code now}; empty when absent or unusable. Capped at one hour, so that a broken
   * or hostile answer cannot park an agent for good.
   */
  public static Optional<Duration> parseRetryAfter(String value, Instant now) {
    if (value == null || value.isBlank() || value.length() > 64) {
      return Optional.empty();
    }
    String v = value.trim();
    Duration d;
    if (v.chars().allMatch(Character::isDigit)) {
      d = v.length() > 9 ? MAX_RETRY_AFTER : Duration.ofSeconds(Long.parseLong(v));
    } else {
      try {
        d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (DateTimeParseException e) {
        return Optional.empty();
      }
      if (d.isNegative()) {
        d = Duration.ZERO;
      }
    }
    return Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
  }

  /** The largest Retry-After honoured. */
  public static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

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

  /** How long the server asked the caller to wait (429 or 5xx with {@code Retry-After}). */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  /** The problem+json {@code type}, or null. */
  public String problemType() {
    return problemType;
  }
}
