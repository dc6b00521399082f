package dev.rotor.server.acme;

import java.util.List;
import java.util.Map;

/**
 * A failure answered as an RFC 8555 problem document. {@code status} overrides the error type's
 * usual status where the RFC asks for another (404 for an unknown resource, 415, 409).
 */
public final class AcmeException extends RuntimeException {

  /** A per-identifier part of a problem (RFC 8555 §6.7.1). */
  public record Subproblem(AcmeError error, String detail, Identifier identifier) {}

  private final AcmeError error;
  private final int status;
  private final List<Subproblem> subproblems;
  private final Map<String, String> headers;

  public AcmeException(AcmeError error, String detail) {
    this(error, error.status(), detail, List.of(), Map.of());
  }

  public AcmeException(AcmeError error, int status, String detail, List<Subproblem> subproblems, Map<String, String> headers) {
    super(detail);
    this.error = error;
    this.status = status;
    this.subproblems = List.copyOf(subproblems);
    this.headers = Map.copyOf(headers);
  }

  public static AcmeException notFound(String what) {
    return new AcmeException(AcmeError.MALFORMED, 404, what + " does not exist", List.of(), Map.of());
  }

  public AcmeError error() {
    return error;
  }

  public int status() {
    return status;
  }

  public List<Subproblem> subproblems() {
    return subproblems;
  }

  /** Extra response headers (Retry-After, Location). */
  public Map<String, String> headers() {
    return headers;
  }
}
