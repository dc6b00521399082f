package dev.rotor.server.agent;

import dev.rotor.pki.SpiffeId;

/** Decides whether the agent of a node may obtain a workload identity. */
public interface WorkloadPolicy {

  /** A decision and, when refused, why (for the 403 and the audit entry). */
  record Decision(boolean allowed, String reason) {
    static Decision allow(String reason) {
      return new Decision(true, reason);
    }

    static Decision deny(String reason) {
      return new Decision(false, reason);
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
      for (WorkloadPolicy p : policies) {
        Decision d = p.decide(node, id);
        if (d.allowed()) {
          return d;
        }
        if (!reasons.isEmpty()) {
          reasons.append("; ");
        }
        reasons.append(d.reason());
      }
      return Decision.deny(reasons.isEmpty() ? "no policy allows workload identities" : reasons.toString());
    };
  }
}
