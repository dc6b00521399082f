package dev.rotor.server.k8s;

import dev.rotor.server.ErrorCode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The condition vocabulary of cert-manager's CertificateRequest (and of our issuers), and the
 * one place an outcome becomes conditions: a permanent error ({@link ErrorCode#isTransient()}
 * false) is {@code Ready=False/Failed} plus {@code InvalidRequest=True}; a transient one is never
 * written as a failure, the request is retried.
 */
final class Conditions {

  static final String READY = "Ready";
  static final String APPROVED = "Approved";
  static final String DENIED = "Denied";
  static final String INVALID_REQUEST = "InvalidRequest";

  /** Ready reasons (cert-manager's {@code CertificateRequestReason*}). */
  enum Reason {
    ISSUED("Issued"),
    FAILED("Failed"),
    DENIED("Denied"),
    PENDING("Pending");

    private final String wire;

    Reason(String wire) {
      this.wire = wire;
    }

    String wire() {
      return wire;
    }
  }

  private Conditions() {}

  /** The reason written for a permanent error: {@code Failed} (the error's slug goes into the message). */
  static Reason reasonFor(ErrorCode code) {
    return code.isTransient() ? Reason.PENDING : Reason.FAILED;
  }

  /**
   * {@code conditions} with the condition of {@code type} set; lastTransitionTime changes only
   * when the status does (Kubernetes API conventions).
   */
  static List<Map<String, Object>> with(List<Map<String, Object>> conditions, String type, boolean status, String reason,
      String message, Instant now, Long observedGeneration) {
    List<Map<String, Object>> out = new ArrayList<>();
    String wireStatus = status ? "True" : "False";
    boolean replaced = false;
    for (Map<String, Object> c : conditions) {
      if (!type.equals(c.get("type"))) {
        out.add(c);
        continue;
      }
      out.add(condition(type, wireStatus, reason, message,
          wireStatus.equals(c.get("status")) && c.get("lastTransitionTime") instanceof String t ? t : timestamp(now), observedGeneration));
      replaced = true;
    }
    if (!replaced) {
      out.add(condition(type, wireStatus, reason, message, timestamp(now), observedGeneration));
    }
    return out;
  }

  private static Map<String, Object> condition(String type, String status, String reason, String message, String time,
      Long observedGeneration) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("type", type);
    c.put("status", status);
    c.put("reason", reason);
    c.put("message", message);
    c.put("lastTransitionTime", time);
    if (observedGeneration != null) {
      c.put("observedGeneration", observedGeneration);
    }
    return c;
  }

  /** RFC 3339 in seconds, as Kubernetes writes {@code metav1.Time}. */
  static String timestamp(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
