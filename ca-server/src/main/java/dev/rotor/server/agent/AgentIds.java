package dev.rotor.server.agent;

import dev.rotor.pki.SpiffeId;
import java.util.Optional;
import java.util.regex.Pattern;

/** Agent and workload SPIFFE IDs: {@code spiffe://<td>/agent/k8s/<node>}, {@code spiffe://<td>/ns/<ns>/sa/<sa>}. */
public final class AgentIds {

  /** A Kubernetes node name (DNS-1123 subdomain). */
  private static final Pattern NODE = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  /** A namespace or ServiceAccount name segment. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  private static final String AGENT_PREFIX = "/agent/k8s/";

  private AgentIds() {}

  public static boolean isValidNode(String node) {
    return node != null && NODE.matcher(node).matches();
  }

  public static SpiffeId agent(String trustDomain, String node) {
    return SpiffeId.of(trustDomain, AGENT_PREFIX + node);
  }

  /** The node of an agent ID in {@code trustDomain}, if it is one. */
  public static Optional<String> nodeOf(SpiffeId id, String trustDomain) {
    if (!id.trustDomain().equals(trustDomain) || !id.path().startsWith(AGENT_PREFIX)) {
      return Optional.empty();
    }
    String node = id.path().substring(AGENT_PREFIX.length());
    return isValidNode(node) ? Optional.of(node) : Optional.empty();
  }

  /** A workload ID's namespace and ServiceAccount. */
  public record Workload(String namespace, String serviceAccount) {}

  /** Parses {@code spiffe://<td>/ns/<ns>/sa/<sa>} of this trust domain, or empty. */
  public static Optional<Workload> workload(SpiffeId id, String trustDomain) {
    if (!id.trustDomain().equals(trustDomain)) {
      return Optional.empty();
    }
    String[] p = id.path().split("/", -1);
    // "", "ns", <ns>, "sa", <sa>
    if (p.length != 5 || !p[1].equals("ns") || !p[3].equals("sa") || !NAME.matcher(p[2]).matches() || !NAME.matcher(p[4]).matches()) {
      return Optional.empty();
    }
    return Optional.of(new Workload(p[2], p[4]));
  }

  /**
   * Whether a DNS name may go into the certificate of a workload in {@code namespace}: the name
   * must be one of that namespace's service names, i.e. contain the labels {@code <ns>.svc}
   * ({@code api.payments.svc}, {@code api.payments.svc.cluster.local}, {@code *.payments.svc.cluster.local}).
   * An agent can then never obtain a certificate for another namespace's services.
   */
  public static boolean dnsBelongsTo(String dnsName, String namespace) {
    String d = dnsName.toLowerCase(java.util.Locale.ROOT);
    String marker = "." + namespace + ".svc";
    int i = d.indexOf(marker);
    while (i >= 0) {
      int end = i + marker.length();
      if (i > 0 && (end == d.length() || d.charAt(end) == '.')) {
        return true;
      }
      i = d.indexOf(marker, i + 1);
    }
    return false;
  }
}
