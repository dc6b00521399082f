package dev.rotor.agent.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretAnnotationsTest {

  private static Secret secret(String ns, Map<String, String> annotations) {
    return new SecretBuilder().withNewMetadata().withNamespace(ns).withName("tls").withAnnotations(annotations).endMetadata().build();
  }

  @Test
  void readsIdentityDnsNamesAndTtl() {
    SecretSink.Workload w = SecretSink.workload(secret("payments", Map.of(
        SecretSink.IDENTITY, "spiffe://rotor.local/ns/payments/sa/api",
        SecretSink.DNS_NAMES, "api.payments.svc.cluster.local, API.payments.svc ,",
        SecretSink.TTL, "10m")));
    assertThat(w).isNotNull();
    assertThat(w.namespace()).isEqualTo("payments");
    assertThat(w.serviceAccount()).isEqualTo("api");
    assertThat(w.dnsNames()).containsExactly("api.payments.svc.cluster.local", "api.payments.svc");
    assertThat(w.ttl()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void notManagedWithoutAnnotationOrWithAnotherNamespacesIdentity() {
    assertThat(SecretSink.workload(secret("payments", Map.of()))).isNull();
    // A Secret in "web" must not obtain the identity of a workload in "payments".
    assertThat(SecretSink.workload(secret("web", Map.of(SecretSink.IDENTITY, "spiffe://rotor.local/ns/payments/sa/api")))).isNull();
    assertThat(SecretSink.workload(secret("payments", Map.of(SecretSink.IDENTITY, "spiffe://rotor.local/agent/k8s/node-a")))).isNull();
    assertThat(SecretSink.workload(secret("payments", Map.of(SecretSink.IDENTITY, "not a spiffe id")))).isNull();
  }

  @Test
  void aBadTtlFallsBackToTheServersDefault() {
    SecretSink.Workload w = SecretSink.workload(secret("payments", Map.of(
        SecretSink.IDENTITY, "spiffe://rotor.local/ns/payments/sa/api", SecretSink.TTL, "soon")));
    assertThat(w.ttl()).isNull();
    assertThat(w.dnsNames()).isEqualTo(List.of());
  }

  @Test
  void ttlForms() {
    assertThat(SecretSink.parseTtl("600")).isEqualTo(Duration.ofSeconds(600));
    assertThat(SecretSink.parseTtl("600s")).isEqualTo(Duration.ofSeconds(600));
    assertThat(SecretSink.parseTtl("1h")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> SecretSink.parseTtl("0s")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SecretSink.parseTtl("-5m")).isInstanceOf(IllegalArgumentException.class);
  }
}
