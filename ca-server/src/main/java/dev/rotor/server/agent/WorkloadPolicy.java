package dev.rotor.server.agent;

import dev.rotor.pki.SpiffeId;

/** Decides whether the agent of a node may obtain a workload identity. */
public interface WorkloadPolicy {

  /**
   * A decision and, when refused, why (for the 403 and the audit entry). {@code unavailable}: the
   * policy could not decide yet (the pod cache is still loading), which is a 503 unless another
   * policy allows.
   */
  record Decision(boolean allowed, String reason, boolean unavailable) {
    Decision(boolean allowed, String reason) {
      this(allowed, reason, false);
    }

    static Decision allow(String reason) {
      return new Decision(true, reason);
    }

    static Decision deny(String reason) {
      return new Decision(false, reason);
    }

    static Decision unknown(String reason) {
      return new Decision(false, reason, true);
    }
  }

  /**
   * @param node the agent's node
   * @param id a workload ID {@code spiffe://<td>/ns/<ns>/sa/<sa>}
   */
  Decision decide(String node, SpiffeId id);

  /** Allowed if any of {@code policies} allows; the reasons of refusals are joined. */
  static WorkloadPolicy anyOf(java.util.List<WorkloadPolicy> policies) {
    return (node, id) -> {
      StringBuilder reasons = new StringBuilder();
      String unavailable = null;
      for (WorkloadPolicy p : policies) {
        Decision d = p.decide(node, id);
        if (d.allowed()) {
          return d;
        }
        if (d.unavailable()) {
          unavailable = d.reason();
          continue;
        }
        if (!reasons.isEmpty()) {
          reasons.append("; ");
        }
        reasons.append(d.reason());
      }
      if (unavailable != null) {
        throw new dev.rotor.server.RotorException(dev.rotor.server.ErrorCode.UNAVAILABLE, unavailable);
      }
      return Decision.deny(reasons.isEmpty() ? "no policy allows workload identities" : reasons.toString());
    };
  }
}
