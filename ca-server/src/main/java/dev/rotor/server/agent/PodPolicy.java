package dev.rotor.server.agent;

import dev.rotor.pki.SpiffeId;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes: an agent may obtain {@code spiffe://<td>/ns/<ns>/sa/<sa>} only while a pod of that
 * namespace and ServiceAccount is scheduled on its node. Backed by a pod informer (watch, not
 * polling) indexed by node name.
 *
 * <p>A pod counts when it is {@code Running}, or {@code Pending} with a node assigned (its
 * containers may be waiting for exactly this certificate's Secret), and not being deleted.
 */
public final class PodPolicy implements WorkloadPolicy, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PodPolicy.class);
  private static final String BY_NODE = "node";

  private final SharedIndexInformer<Pod> informer;
  private final String trustDomain;

  public PodPolicy(KubernetesClient client, String trustDomain) {
    this.trustDomain = trustDomain;
    this.informer = client.pods().inAnyNamespace().runnableInformer(0);
    informer.addIndexers(Map.of(BY_NODE, pod -> {
      String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
      return node == null ? List.of() : List.of(node);
    }));
  }

  /** Starts the watch without waiting for the first list (readiness reports {@link #isSynced}). */
  public PodPolicy start() {
    informer.start().whenComplete((v, e) -> {
      if (e != null) {
        log.warn("pod informer failed to start error={}", e.toString());
      } else {
        log.info("pod informer synced pods={}", informer.getStore().list().size());
      }
    });
    return this;
  }

  public boolean isSynced() {
    return informer.hasSynced();
  }

  @Override
  public Decision decide(String node, SpiffeId id) {
    Optional<AgentIds.Workload> w = AgentIds.workload(id, trustDomain);
    if (w.isEmpty()) {
      return Decision.deny(id + " is not a workload identity spiffe://" + trustDomain + "/ns/<namespace>/sa/<serviceaccount>");
    }
    if (!informer.hasSynced()) {
      return Decision.unknown("the pod cache is not synced yet");
    }
    for (Pod pod : informer.getIndexer().byIndex(BY_NODE, node)) {
      if (runsOn(pod, node, w.get())) {
        return Decision.allow("pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
      }
    }
    return Decision.deny("no running pod with namespace " + w.get().namespace() + " and service account "
        + w.get().serviceAccount() + " is scheduled on node " + node);
  }

  static boolean runsOn(Pod pod, String node, AgentIds.Workload w) {
    if (pod.getMetadata() == null || pod.getSpec() == null || pod.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    String sa = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    boolean live = "Running".equals(phase) || "Pending".equals(phase) || phase == null;
    return live && node.equals(pod.getSpec().getNodeName()) && w.namespace().equals(pod.getMetadata().getNamespace())
        && w.serviceAccount().equals(sa);
  }

  @Override
  public void close() {
    informer.close();
  }
}
