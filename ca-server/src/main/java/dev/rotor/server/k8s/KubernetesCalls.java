package dev.rotor.server.k8s;

import java.util.List;
import java.util.Set;

/**
 * Every Kubernetes API call the CA server makes, as RBAC sees it: the chart's ClusterRole must
 * grant each of these (a chart test asserts it). Keep this list next to the code: a new call
 * without a line here is a server that fails with 403 in a real cluster.
 */
public final class KubernetesCalls {

  /** One RBAC rule: API group ({@code ""} = core), resource (with {@code /subresource}), verbs. */
  public record Call(String group, String resource, Set<String> verbs, String usedBy) {}

  /** The server's calls, by the package that makes them. */
  public static final List<Call> SERVER = List.of(
      new Call("authentication.k8s.io", "tokenreviews", Set.of("create"), "agent.KubernetesAttestor"),
      new Call("", "pods", Set.of("list", "watch"), "agent.PodPolicy"),
      new Call("", "pods", Set.of("get"), "agent.KubernetesAttestor (the token's bound pod)"),
      new Call("", "configmaps", Set.of("get", "create", "update"), "agent.BundleConfigMap (rotor-ca-bundle in the agents' namespace)"),
      new Call("cert-manager.io", "certificaterequests", Set.of("get", "list", "watch"), "k8s.CertificateRequestController"),
      new Call("cert-manager.io", "certificaterequests/status", Set.of("update"), "k8s.CertificateRequestController"),
      new Call("rotor.dev", "issuers", Set.of("get", "list", "watch"), "k8s.CertificateRequestController"),
      new Call("rotor.dev", "issuers/status", Set.of("update"), "k8s.IssuerReconciler"),
      new Call("rotor.dev", "clusterissuers", Set.of("get", "list", "watch"), "k8s.CertificateRequestController"),
      new Call("rotor.dev", "clusterissuers/status", Set.of("update"), "k8s.IssuerReconciler"),
      new Call("", "events", Set.of("create"), "k8s.CertificateRequestController"),
      new Call("coordination.k8s.io", "leases", Set.of("get", "create", "update"), "k8s.LeaderElection"));

  private KubernetesCalls() {}
}
