package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.pki.Pem;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, test 1: a 30-second issuing intermediate and 8-second leaves; continuous traffic
 * through two proxies across two full rotations fails no request; the managed Secret's
 * {@code ca.crt} holds both intermediates during the overlap and, at the end, no longer the first.
 */
class CaRotationMeshIT {

  @Test
  void twoFullRotationsUnderTrafficFailNoRequest() throws Exception {
    Map<String, Object> server = Map.of(
        "ROTOR_INTERMEDIATE_TTL", "30s",
        "ROTOR_CA_ROTATION_POLL", "250ms",
        "profiles", Map.of(
            "workload", Map.of("minTtl", "1s", "defaultTtl", "8s", "maxTtl", "60s"),
            "agent", Map.of("minTtl", "1s", "defaultTtl", "10s", "maxTtl", "60s")));
    try (Mesh mesh = new Mesh(server); Cluster.Versions versions = mesh.cluster.watch("payments", "api-tls")) {
      int first = mesh.cluster.api("GET", "/api/v1/ca/slots", null).get("activeId").asInt();
      X509Certificate firstCa = caCert(mesh.cluster, first);
      List<Integer> actives = new ArrayList<>(List.of(first));
      Mesh.Traffic traffic = mesh.new Traffic();
      try (traffic) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
          int now = mesh.cluster.api("GET", "/api/v1/ca/slots", null).get("activeId").asInt();
          if (now != actives.get(actives.size() - 1)) {
            actives.add(now);
          }
          return actives.size() >= 3;
        });
        // the first intermediate leaves the bundle once its last leaf expired, and ca.crt follows
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
            !mesh.cluster.bundle().contains(firstCa) && !mesh.secretCa().contains(firstCa));
      }
      assertThat(traffic.failures).as("failed requests").isEmpty();
      assertThat(traffic.ok.get()).isGreaterThan(100);

      X509Certificate secondCa = caCert(mesh.cluster, actives.get(1));
      boolean overlap = versions.all().stream().map(v -> Cluster.data(v.secret(), "ca.crt")).filter(p -> p != null)
          .map(CaRotationMeshIT::parse).anyMatch(certs -> certs.contains(firstCa) && certs.contains(secondCa));
      assertThat(overlap).as("some version of ca.crt held both intermediates").isTrue();
      List<X509Certificate> last = mesh.secretCa();
      X509Certificate activeNow = mesh.cluster.bundle().stream().filter(c -> !c.getSubjectX500Principal().equals(c.getIssuerX500Principal()))
          .findFirst().orElseThrow();
      assertThat(last).doesNotContain(firstCa).contains(activeNow);
      // every identity now comes from a CA in the bundle
      List<X509Certificate> bundle = mesh.cluster.bundle();
      for (X509Certificate leaf : List.of(mesh.secretLeaf(), mesh.proxyCert(mesh.dirA, Mesh.API), mesh.proxyCert(mesh.dirB, Mesh.WEB))) {
        assertThat(bundle.stream().anyMatch(c -> c.getSubjectX500Principal().equals(leaf.getIssuerX500Principal()))).isTrue();
      }
    }
  }

  static X509Certificate caCert(Cluster cluster, int id) throws Exception {
    try (var plain = java.net.http.HttpClient.newHttpClient()) {
      var r = plain.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + cluster.serverHttpPort() + "/ca/issuers/" + id + ".crt")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      return Pem.parseCertificate(r.body());
    }
  }

  private static List<X509Certificate> parse(String pem) {
    try {
      return Pem.parseCertificates(pem);
    } catch (Exception e) {
      return List.of();
    }
  }
}
