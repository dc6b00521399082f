package dev.rotor.agent;

import static dev.rotor.agent.Cluster.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.agent.Cluster.Version;
import dev.rotor.agent.Cluster.Versions;
import dev.rotor.agent.sink.SecretSink;
import dev.rotor.pki.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Test 4: the CA goes away for half a certificate lifetime and comes back on the same ports. */
class OutageIT {

  private Cluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void certificatesStayValidDuringAnOutageAndRenewAfterItWithoutRestart() throws Exception {
    Duration ttl = Duration.ofSeconds(30);
    cluster = Cluster.start(Map.of("profiles",
        Map.of("workload", Map.of("minTtl", "10s", "defaultTtl", ttl.toSeconds() + "s", "maxTtl", "60s"))), true);
    List<X509Certificate> bundle = cluster.bundle();
    cluster.pod("pay", "gw-0", "gw", "out-1");
    RotorAgent agent = cluster.agent("out-1");
    String id = "spiffe://rotor.local/ns/pay/sa/gw";

    try (Versions versions = cluster.watch("pay", "gw-tls")) {
      cluster.secret("pay", "gw-tls", identity("pay", "gw"));
      await().atMost(Duration.ofSeconds(10)).until(() -> versions.landed().size() == 1);
      Secret first = versions.landed().get(0).secret();
      X509Certificate firstLeaf = Pairs.assertSecretHolds(first, id, bundle);

      // CA down for half a lifetime, across the certificate's renewal point.
      cluster.stopServer();
      Instant down = Instant.now();
      Instant renewalPoint = firstLeaf.getNotAfter().toInstant().minus(ttl.dividedBy(2));
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        // Meanwhile the Secret keeps the same, still valid, complete certificate and the agent stays healthy.
        Secret now = cluster.get("pay", "gw-tls");
        assertThat(now.getMetadata().getAnnotations().get(SecretSink.SERIAL)).isEqualTo(versions.landed().get(0).serial());
        assertThat(Cluster.data(now, SecretSink.TLS_CRT)).isEqualTo(Cluster.data(first, SecretSink.TLS_CRT));
        assertThat(Cluster.data(now, SecretSink.TLS_KEY)).isEqualTo(Cluster.data(first, SecretSink.TLS_KEY));
        assertThat(firstLeaf.getNotAfter().toInstant()).isAfter(Instant.now());
        assertThat(Cluster.scrape(agent, "/healthz").statusCode()).isEqualTo(200);
        return Instant.now().isAfter(renewalPoint.plusSeconds(1)) && !Instant.now().isBefore(down.plus(ttl.dividedBy(2)));
      });
      double failed = Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"workload\"", "outcome=\"failed\"");
      assertThat(failed).as("renewal attempts during the outage").isGreaterThanOrEqualTo(1.0);
      assertThat(versions.landed()).hasSize(1);

      // The CA returns on the same ports and data directory: the running agent renews on its own.
      cluster.startServer();
      await().atMost(firstLeaf.getNotAfter().toInstant().minusMillis(System.currentTimeMillis()).toEpochMilli(),
          java.util.concurrent.TimeUnit.MILLISECONDS).until(() -> versions.landed().size() >= 2);
      Version renewed = versions.landed().get(1);
      assertThat(renewed.seen()).isBefore(firstLeaf.getNotAfter().toInstant());
      X509Certificate second = Pairs.assertSecretHolds(renewed.secret(), id, Pem.parseCertificates(cluster.bundlePem()));
      assertThat(second.getSerialNumber()).isNotEqualTo(firstLeaf.getSerialNumber());
      List<Version> all = versions.all();
      for (Version v : all.subList(all.indexOf(versions.landed().get(0)), all.size())) {
        assertThat(Cluster.data(v.secret(), SecretSink.TLS_CRT)).as("never blanked once filled").isNotBlank();
        assertThat(Cluster.data(v.secret(), SecretSink.TLS_KEY)).as("never blanked once filled").isNotBlank();
      }
      assertThat(agent.credentials()).isPresent();
    }

    // A longer outage: a 10-second certificate expires while the CA is away. /healthz fails and
    // names it, the Secret keeps the (expired) pair rather than being blanked, and once the CA is
    // back the agent replaces it and /healthz recovers.
    Map<String, String> shortLived = new java.util.LinkedHashMap<>(identity("pay", "gw"));
    shortLived.put(SecretSink.TTL, "10s");
    cluster.secret("pay", "gw-short-tls", shortLived);
    await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.data(cluster.get("pay", "gw-short-tls"), SecretSink.TLS_CRT) != null);
    Secret shortFirst = cluster.get("pay", "gw-short-tls");
    cluster.stopServer();
    await().atMost(Duration.ofSeconds(20)).until(() -> Cluster.scrape(agent, "/healthz").statusCode() == 503);
    assertThat(Cluster.scrape(agent, "/healthz").body()).contains("secret:pay/gw-short-tls");
    Secret during = cluster.get("pay", "gw-short-tls");
    assertThat(Cluster.data(during, SecretSink.TLS_CRT)).isEqualTo(Cluster.data(shortFirst, SecretSink.TLS_CRT));
    assertThat(Cluster.data(during, SecretSink.TLS_KEY)).isEqualTo(Cluster.data(shortFirst, SecretSink.TLS_KEY));
    cluster.startServer();
    await().atMost(Duration.ofSeconds(20)).until(() -> Cluster.scrape(agent, "/healthz").statusCode() == 200);
    Pairs.assertSecretHolds(cluster.get("pay", "gw-short-tls"), id, Pem.parseCertificates(cluster.bundlePem()));
  }
}
