package dev.rotor.server.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.pki.Profile;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The reconciler's pure rules; the whole flow runs in CertificateRequestControllerIT. */
class CertificateRequestReconcilerTest {

  private static final Profile WORKLOAD = Profile.workload();

  @Test
  void durationIsShortenedToTheIssuersMaximumOnly() {
    assertThat(CertificateRequestReconciler.ttlSeconds(Optional.of(Duration.ofMinutes(20)), Optional.of(Duration.ofMinutes(12)), WORKLOAD))
        .isEqualTo(720);
    assertThat(CertificateRequestReconciler.ttlSeconds(Optional.of(Duration.ofMinutes(11)), Optional.of(Duration.ofMinutes(12)), WORKLOAD))
        .isEqualTo(660);
    // No issuer cap: the request goes to the profile as asked (and fails there if too long).
    assertThat(CertificateRequestReconciler.ttlSeconds(Optional.of(Duration.ofHours(2)), Optional.empty(), WORKLOAD)).isEqualTo(7200);
    // No duration: the profile's default, unless the issuer caps below it.
    assertThat(CertificateRequestReconciler.ttlSeconds(Optional.empty(), Optional.empty(), WORKLOAD)).isNull();
    assertThat(CertificateRequestReconciler.ttlSeconds(Optional.empty(), Optional.of(Duration.ofMinutes(12)), WORKLOAD)).isEqualTo(720);
    assertThat(CertificateRequestReconciler.ttlSeconds(Optional.empty(), Optional.of(Duration.ofHours(1)), WORKLOAD)).isNull();
  }

  @Test
  void usagesMustBeGrantedByTheProfile() {
    assertThat(CertificateRequestReconciler.usageProblem(List.of("digital signature", "key encipherment", "server auth", "client auth"),
        WORKLOAD)).isEmpty();
    assertThat(CertificateRequestReconciler.usageProblem(List.of(), WORKLOAD)).isEmpty();
    assertThat(CertificateRequestReconciler.usageProblem(List.of("Server Auth"), WORKLOAD)).isEmpty();
    assertThat(CertificateRequestReconciler.usageProblem(List.of("code signing"), WORKLOAD)).get().asString().contains("code signing");
    assertThat(CertificateRequestReconciler.usageProblem(List.of("cert sign"), WORKLOAD)).isPresent();
    // acme grants serverAuth only.
    assertThat(CertificateRequestReconciler.usageProblem(List.of("client auth"), Profile.acme())).isPresent();
  }

  @Test
  void spiffeIdsMustBeInTheRequestsNamespace() {
    assertThat(CertificateRequestReconciler.spiffeProblem(URI.create("spiffe://rotor.local/ns/web/sa/api"), "web")).isEmpty();
    assertThat(CertificateRequestReconciler.spiffeProblem(URI.create("spiffe://rotor.local/ns/db/sa/api"), "web")).isPresent();
    // A namespace that is a prefix of another is not that namespace.
    assertThat(CertificateRequestReconciler.spiffeProblem(URI.create("spiffe://rotor.local/ns/web2/sa/api"), "web")).isPresent();
    assertThat(CertificateRequestReconciler.spiffeProblem(URI.create("spiffe://rotor.local/agent/k8s/node-1"), "web")).isPresent();
    assertThat(CertificateRequestReconciler.spiffeProblem(URI.create("spiffe://rotor.local/ns/web/../db/sa/x"), "web")).isPresent();
  }

  @Test
  void onlyRotorRequestsAndOnlyUnfinishedOnes() {
    assertThat(CertificateRequestReconciler.isOurs(request("rotor.dev", Map.of()))).isTrue();
    assertThat(CertificateRequestReconciler.isOurs(request("cert-manager.io", Map.of()))).isFalse();
    assertThat(CertificateRequestReconciler.isFinished(request("rotor.dev", Map.of()))).isFalse();
    assertThat(CertificateRequestReconciler.isFinished(request("rotor.dev", Map.of("conditions",
        List.of(Map.of("type", "Ready", "status", "False", "reason", "Pending")))))).isFalse();
    for (String reason : List.of("Failed", "Denied")) {
      assertThat(CertificateRequestReconciler.isFinished(request("rotor.dev", Map.of("conditions",
          List.of(Map.of("type", "Ready", "status", "False", "reason", reason)))))).as(reason).isTrue();
    }
    assertThat(CertificateRequestReconciler.isFinished(request("rotor.dev", Map.of("conditions",
        List.of(Map.of("type", "Ready", "status", "True", "reason", "Issued")))))).isTrue();
  }

  private static GenericKubernetesResource request(String group, Map<String, Object> status) {
    return new GenericKubernetesResourceBuilder().withApiVersion("cert-manager.io/v1").withKind("CertificateRequest")
        .withNewMetadata().withNamespace("web").withName("r").endMetadata()
        .addToAdditionalProperties("spec", Map.of("issuerRef", Map.of("group", group, "kind", "Issuer", "name", "i")))
        .addToAdditionalProperties("status", status).build();
  }
}
