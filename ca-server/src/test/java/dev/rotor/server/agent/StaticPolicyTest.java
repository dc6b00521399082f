package dev.rotor.server.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotor.pki.SpiffeId;
import java.util.List;
import org.junit.jupiter.api.Test;

class StaticPolicyTest {

  private static StaticPolicy parse(String yaml) throws Exception {
    return StaticPolicy.parse(new ObjectMapper(new YAMLFactory()).readValue(yaml, Object.class), "policy.yaml", "rotor.local");
  }

  @Test
  void exactIdsAndPrefixesAtSegmentBoundaries() throws Exception {
    StaticPolicy p = parse("""
        nodes:
          node-a: ["spiffe://rotor.local/ns/web/*", "spiffe://rotor.local/ns/db/sa/pg"]
        """);
    assertThat(p.decide("node-a", SpiffeId.parse("spiffe://rotor.local/ns/web/sa/x")).allowed()).isTrue();
    assertThat(p.decide("node-a", SpiffeId.parse("spiffe://rotor.local/ns/db/sa/pg")).allowed()).isTrue();
    assertThat(p.decide("node-a", SpiffeId.parse("spiffe://rotor.local/ns/webx/sa/x")).allowed()).isFalse();
    assertThat(p.decide("node-a", SpiffeId.parse("spiffe://rotor.local/ns/web")).allowed()).isFalse();
    assertThat(p.decide("node-a", SpiffeId.parse("spiffe://rotor.local/ns/db/sa/pg2")).allowed()).isFalse();
    assertThat(p.decide("node-b", SpiffeId.parse("spiffe://rotor.local/ns/web/sa/x")).allowed()).isFalse();
    assertThat(p.decide("node-b", SpiffeId.parse("spiffe://rotor.local/ns/web/sa/x")).reason()).contains("node-b");
  }

  @Test
  void refusesFilesThatWouldGrantMoreThanTheyShould() {
    assertThatThrownBy(() -> parse("nodes: {a: [\"spiffe://other.domain/ns/web/*\"]}")).hasMessageContaining("trust domain");
    assertThatThrownBy(() -> parse("nodes: {a: [\"spiffe://rotor.local/*\"]}")).hasMessageContaining("not a workload identity");
    assertThatThrownBy(() -> parse("nodes: {a: [\"spiffe://rotor.local/agent/k8s/b\"]}")).hasMessageContaining("not a workload identity");
    assertThatThrownBy(() -> parse("nodes: {a: [\"not a uri\"]}")).hasMessageContaining("policy.yaml");
    assertThatThrownBy(() -> parse("nodes: {Bad_Node: []}")).hasMessageContaining("not a valid node name");
    assertThatThrownBy(() -> parse("nodes: {a: \"spiffe://rotor.local/ns/web/*\"}")).hasMessageContaining("list");
    assertThatThrownBy(() -> parse("nodez: {}")).hasMessageContaining("nodes");
  }

  @Test
  void anyOfJoinsRefusals() throws Exception {
    WorkloadPolicy no1 = (n, id) -> new WorkloadPolicy.Decision(false, "first says no");
    WorkloadPolicy no2 = (n, id) -> new WorkloadPolicy.Decision(false, "second says no");
    WorkloadPolicy yes = (n, id) -> new WorkloadPolicy.Decision(true, "ok");
    SpiffeId id = SpiffeId.parse("spiffe://rotor.local/ns/a/sa/b");
    assertThat(WorkloadPolicy.anyOf(List.of(no1, no2)).decide("n", id).reason()).isEqualTo("first says no; second says no");
    assertThat(WorkloadPolicy.anyOf(List.of(no1, yes)).decide("n", id).allowed()).isTrue();
    assertThat(WorkloadPolicy.anyOf(List.of()).decide("n", id).allowed()).isFalse();
    // A policy that cannot decide yet (pod cache loading): another may still allow; otherwise 503, not 403.
    WorkloadPolicy loading = (n, i) -> WorkloadPolicy.Decision.unknown("the pod cache is not synced yet");
    assertThat(WorkloadPolicy.anyOf(List.of(loading, yes)).decide("n", id).allowed()).isTrue();
    assertThatThrownBy(() -> WorkloadPolicy.anyOf(List.of(loading, no1)).decide("n", id))
        .isInstanceOfSatisfying(dev.rotor.server.RotorException.class, e -> assertThat(e.code()).isEqualTo(dev.rotor.server.ErrorCode.UNAVAILABLE));
  }
}
