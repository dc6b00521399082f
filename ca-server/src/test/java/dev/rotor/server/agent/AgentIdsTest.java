package dev.rotor.server.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.pki.SpiffeId;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class AgentIdsTest {

  @Test
  void agentIdsRoundTripAndOnlyInOurTrustDomain() throws Exception {
    SpiffeId id = AgentIds.agent("rotor.local", "node-1.example");
    assertThat(id.toString()).isEqualTo("spiffe://rotor.local/agent/k8s/node-1.example");
    assertThat(AgentIds.nodeOf(id, "rotor.local")).contains("node-1.example");
    assertThat(AgentIds.nodeOf(id, "other.local")).isEmpty();
    assertThat(AgentIds.nodeOf(SpiffeId.parse("spiffe://rotor.local/ns/a/sa/b"), "rotor.local")).isEmpty();
    assertThat(AgentIds.nodeOf(SpiffeId.parse("spiffe://rotor.local/agent/k8s/a/b"), "rotor.local")).isEmpty();
  }

  @Test
  void nodeNames() {
    assertThat(AgentIds.isValidNode("ip-10-0-0-1.ec2.internal")).isTrue();
    assertThat(AgentIds.isValidNode("a")).isTrue();
    assertThat(AgentIds.isValidNode("A")).isFalse();
    assertThat(AgentIds.isValidNode("-a")).isFalse();
    assertThat(AgentIds.isValidNode("a_b")).isFalse();
    assertThat(AgentIds.isValidNode("a/b")).isFalse();
    assertThat(AgentIds.isValidNode("a".repeat(254))).isFalse();
    assertThat(AgentIds.isValidNode(null)).isFalse();
  }

  @Test
  void workloadIdsHaveExactlyNamespaceAndServiceAccount() throws Exception {
    assertThat(AgentIds.workload(SpiffeId.parse("spiffe://rotor.local/ns/pay/sa/api"), "rotor.local"))
        .contains(new AgentIds.Workload("pay", "api"));
    assertThat(AgentIds.workload(SpiffeId.parse("spiffe://rotor.local/ns/pay/sa/api/extra"), "rotor.local")).isEmpty();
    assertThat(AgentIds.workload(SpiffeId.parse("spiffe://rotor.local/ns/pay/sx/api"), "rotor.local")).isEmpty();
    assertThat(AgentIds.workload(SpiffeId.parse("spiffe://rotor.local/ns/Pay/sa/api"), "rotor.local")).isEmpty();
    assertThat(AgentIds.workload(SpiffeId.parse("spiffe://other/ns/pay/sa/api"), "rotor.local")).isEmpty();
  }

  @Test
  void dnsNamesMustBeServicesOfTheWorkloadsNamespace() {
    assertThat(AgentIds.dnsBelongsTo("api.payments.svc", "payments")).isTrue();
    assertThat(AgentIds.dnsBelongsTo("api.payments.svc.cluster.local", "payments")).isTrue();
    assertThat(AgentIds.dnsBelongsTo("*.payments.svc.cluster.local", "payments")).isTrue();
    assertThat(AgentIds.dnsBelongsTo("API.Payments.svc.cluster.local", "payments")).isTrue();
    assertThat(AgentIds.dnsBelongsTo("payments.svc.cluster.local", "payments")).isFalse();
    assertThat(AgentIds.dnsBelongsTo("api.xpayments.svc.cluster.local", "payments")).isFalse();
    assertThat(AgentIds.dnsBelongsTo("api.payments.svcx.cluster.local", "payments")).isFalse();
    assertThat(AgentIds.dnsBelongsTo("api.web.svc.cluster.local", "payments")).isFalse();
    assertThat(AgentIds.dnsBelongsTo("example.com", "payments")).isFalse();
  }

  private static Pod pod(String ns, String sa, String node, String phase, boolean deleting) {
    PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(ns).withName("p").endMetadata()
        .withNewSpec().withServiceAccountName(sa).withNodeName(node).endSpec()
        .withNewStatus().withPhase(phase).endStatus();
    if (deleting) {
      b.editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z").endMetadata();
    }
    return b.build();
  }

  @Test
  void podsCountWhileRunningOrStartingOnTheNode() {
    AgentIds.Workload w = new AgentIds.Workload("pay", "api");
    assertThat(PodPolicy.runsOn(pod("pay", "api", "n1", "Running", false), "n1", w)).isTrue();
    assertThat(PodPolicy.runsOn(pod("pay", "api", "n1", "Pending", false), "n1", w)).isTrue();
    assertThat(PodPolicy.runsOn(pod("pay", "api", "n1", "Succeeded", false), "n1", w)).isFalse();
    assertThat(PodPolicy.runsOn(pod("pay", "api", "n1", "Failed", false), "n1", w)).isFalse();
    assertThat(PodPolicy.runsOn(pod("pay", "api", "n1", "Running", true), "n1", w)).isFalse();
    assertThat(PodPolicy.runsOn(pod("pay", "api", "n2", "Running", false), "n1", w)).isFalse();
    assertThat(PodPolicy.runsOn(pod("pay", "web", "n1", "Running", false), "n1", w)).isFalse();
    assertThat(PodPolicy.runsOn(pod("web", "api", "n1", "Running", false), "n1", w)).isFalse();
    assertThat(PodPolicy.runsOn(pod("pay", null, "n1", "Running", false), "n1", new AgentIds.Workload("pay", "default"))).isTrue();
  }
}
