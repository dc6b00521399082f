package dev.rotor.server.acme;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** RFC 8555 §6.7 problem documents, and the mapping of the core's {@link ErrorCode}s onto ACME error types. */
public final class AcmeProblems {

  private AcmeProblems() {}

  public static Map<String, Object> document(AcmeException e) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", e.error().type());
    p.put("detail", e.getMessage());
    p.put("status", e.status());
    if (e.error() == AcmeError.BAD_SIGNATURE_ALGORITHM) {
      p.put("algorithms", Jws.ALGORITHMS); // RFC 8555 §6.2
    }
    if (!e.subproblems().isEmpty()) {
      List<Map<String, Object>> subs = new ArrayList<>();
      for (AcmeException.Subproblem s : e.subproblems()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", s.error().type());
        m.put("detail", s.detail());
        m.put("identifier", s.identifier().toJson());
        subs.add(m);
      }
      p.put("subproblems", subs);
    }
    return p;
  }

  /** A stored problem (order or challenge error), naming the identifier it is about. */
  static String toJson(ObjectMapper json, AcmeException e, Identifier identifier) {
    Map<String, Object> p = document(e);
    if (identifier != null) {
      p.put("identifier", identifier.toJson());
    }
    try {
      return json.writeValueAsString(p);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** The ACME form of a core failure (issuance, revocation, database). */
  static AcmeException fromCore(RotorException e) {
    AcmeError error = switch (e.code()) {
      case BAD_CSR -> AcmeError.BAD_CSR;
      case BAD_PUBLIC_KEY -> AcmeError.BAD_PUBLIC_KEY;
      case REJECTED_IDENTIFIER -> AcmeError.REJECTED_IDENTIFIER;
      case ALREADY_REVOKED -> AcmeError.ALREADY_REVOKED;
      case BAD_REVOCATION_REASON -> AcmeError.BAD_REVOCATION_REASON;
      case BODY_TOO_LARGE, MALFORMED_REQUEST, UNSUPPORTED_MEDIA_TYPE, BAD_TTL, UNKNOWN_PROFILE, NOT_FOUND, METHOD_NOT_ALLOWED,
          NOT_ACCEPTABLE, CONFLICT -> AcmeError.MALFORMED;
      case UNAUTHENTICATED, FORBIDDEN, CSRF -> AcmeError.UNAUTHORIZED;
      case UNAVAILABLE, INTERNAL, CERTIFICATE_LINT -> AcmeError.SERVER_INTERNAL;
      case OVERLOADED -> AcmeError.RATE_LIMITED;
    };
    int status = switch (e.code()) {
      case BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, NOT_FOUND, CONFLICT -> e.code().httpStatus();
      case UNAVAILABLE -> 503;
      default -> error.status();
    };
    String detail = e.code() == ErrorCode.CERTIFICATE_LINT ? e.getMessage()
        : e.code().httpStatus() >= 500 ? "the server could not complete the request; try again" : e.getMessage();
    Map<String, String> headers = e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.OVERLOADED
        ? Map.of("Retry-After", "5") : Map.of();
    return new AcmeException(error, status, detail, List.of(), headers);
  }
}
