package dev.rotor.server.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.Map;
import java.util.Set;

/**
 * The Ready condition of a {@code rotor.dev} Issuer or ClusterIssuer: True when its profile exists
 * on this server and its {@code maxTtl} parses; False with the reason otherwise.
 */
final class IssuerReconciler {

  /** The condition an issuer should carry. */
  record Ready(boolean ready, String reason, String message) {
    /** Whether {@code status} already says exactly this for {@code generation}. */
    boolean isWrittenIn(Map<String, Object> status, Long generation) {
      return Resources.condition(status, Conditions.READY)
          .map(c -> (ready ? "True" : "False").equals(c.get("status")) && reason.equals(c.get("reason"))
              && message.equals(c.get("message"))
              && (generation == null || c.get("observedGeneration") instanceof Number n && n.longValue() == generation))
          .orElse(false);
    }
  }

  private final Set<String> profiles;

  IssuerReconciler(Set<String> profiles) {
    this.profiles = Set.copyOf(profiles);
  }

  Ready sync(GenericKubernetesResource issuer) {
    Map<String, Object> spec = Resources.spec(issuer);
    String profile = Resources.string(spec, "profile").orElse("");
    if (!profiles.contains(profile)) {
      return new Ready(false, "UnknownProfile", "profile \"" + profile + "\" does not exist (profiles: "
          + String.join(", ", profiles.stream().sorted().toList()) + ")");
    }
    try {
      Resources.string(spec, "maxTtl").ifPresent(GoDuration::parse);
    } catch (IllegalArgumentException e) {
      return new Ready(false, "InvalidSpec", "spec.maxTtl: " + e.getMessage());
    }
    return new Ready(true, "Ready", "signing with profile " + profile);
  }
}
