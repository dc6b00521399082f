package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.agent.api.TrustBundle;
import dev.rotor.pki.Pem;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, test 4 (agent side): during a root rollover an agent that holds only the old root
 * still verifies the leaves of the new hierarchy (leaf → new intermediate → cross-certificate →
 * old root), and traffic through the proxies never fails across the switch.
 */
class CaRootRotationMeshIT {

  @Test
  void leavesOfTheNewRootVerifyAgainstTheOldRootAloneDuringTheOverlap() throws Exception {
    Map<String, Object> server = Map.of(
        "ROTOR_INTERMEDIATE_TTL", "40s",
        "ROTOR_CA_ROTATION_POLL", "250ms",
        "profiles", Map.of(
            "workload", Map.of("minTtl", "1s", "defaultTtl", "8s", "maxTtl", "60s"),
            "agent", Map.of("minTtl", "1s", "defaultTtl", "10s", "maxTtl", "60s")));
    try (Mesh mesh = new Mesh(server)) {
      X509Certificate oldRoot = mesh.cluster.bundle().get(0);
      TrustBundle onlyOldRoot = TrustBundle.parse(Pem.certificate(oldRoot.getEncoded()));
      Mesh.Traffic traffic = mesh.new Traffic();
      List<X509Certificate> chain;
      try (traffic) {
        int intermediate = mesh.cluster.api("POST", "/api/v1/ca/rotate-root", Map.of()).get("intermediate").asInt();
        X509Certificate newIntermediate = CaRotationMeshIT.caCert(mesh.cluster, intermediate);
        // the proxy identity re-issued under an intermediate of the new root: the one the rotation
        // made, or (its 40 s lifetime nearly spent by the time the root activates) its successor,
        // which may be active for most of the overlap
        chain = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(
            () -> Pem.parseCertificates(Files.readString(mesh.proxyDir(mesh.dirA, Mesh.API).resolve("cert.pem"))),
            c -> c.size() > 1 && c.get(1).getIssuerX500Principal().equals(newIntermediate.getIssuerX500Principal()));
        Thread.sleep(2000);
      }
      assertThat(traffic.failures).as("failed requests").isEmpty();
      assertThat(chain).hasSize(3);
      assertThat(chain.get(2).getIssuerX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());
      assertThat(onlyOldRoot.validates(chain, Instant.now())).isTrue();
      // and with the current bundle (the new root and its intermediates) as well
      assertThat(TrustBundle.parse(mesh.cluster.bundlePem()).validates(chain, Instant.now())).isTrue();
    }
  }
}
