package dev.rotor.server.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The custom resources the controller reads and writes, and small accessors for their untyped maps. */
final class Resources {

  /** {@code certificaterequests.cert-manager.io/v1} (its CRD is cert-manager's, not ours). */
  static final ResourceDefinitionContext CERTIFICATE_REQUESTS = new ResourceDefinitionContext.Builder()
      .withGroup("cert-manager.io").withVersion("v1").withKind("CertificateRequest").withPlural("certificaterequests")
      .withNamespaced(true).build();

  /** {@code issuers.rotor.dev/v1alpha1}, namespaced (CRD in charts/rotor/crds). */
  static final ResourceDefinitionContext ISSUERS = new ResourceDefinitionContext.Builder()
      .withGroup(Resources.GROUP).withVersion("v1alpha1").withKind("Issuer").withPlural("issuers")
      .withNamespaced(true).build();

  /** {@code clusterissuers.rotor.dev/v1alpha1}, cluster-scoped (CRD in charts/rotor/crds). */
  static final ResourceDefinitionContext CLUSTER_ISSUERS = new ResourceDefinitionContext.Builder()
      .withGroup(Resources.GROUP).withVersion("v1alpha1").withKind("ClusterIssuer").withPlural("clusterissuers")
      .withNamespaced(false).build();

  /** The issuerRef group whose requests Rotor handles. */
  static final String GROUP = "rotor.dev";

  private Resources() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  static Map<String, Object> spec(GenericKubernetesResource r) {
    return map(r.getAdditionalProperties().get("spec"));
  }

  static Map<String, Object> status(GenericKubernetesResource r) {
    return map(r.getAdditionalProperties().get("status"));
  }

  static Optional<String> string(Map<String, Object> m, String key) {
    return m.get(key) instanceof String s && !s.isEmpty() ? Optional.of(s) : Optional.empty();
  }

  static List<String> strings(Map<String, Object> m, String key) {
    if (m.get(key) instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }

  /** The conditions of a status, as maps with {@code type}, {@code status}, {@code reason}, .... */
  static List<Map<String, Object>> conditions(Map<String, Object> status) {
    if (status.get("conditions") instanceof List<?> l) {
      return l.stream().map(Resources::map).toList();
    }
    return List.of();
  }

  static Optional<Map<String, Object>> condition(Map<String, Object> status, String type) {
    return conditions(status).stream().filter(c -> type.equals(c.get("type"))).findFirst();
  }

  static boolean isTrue(Map<String, Object> status, String type) {
    return condition(status, type).map(c -> "True".equals(c.get("status"))).orElse(false);
  }
}
