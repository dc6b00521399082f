package dev.rotor.agent;

import static dev.rotor.agent.Cluster.data;
import static dev.rotor.agent.Cluster.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.sink.SecretSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent's own certificate, attested with a projected ServiceAccount token (the server asks the
 * mock's TokenReview): renewal at half-life with a new mTLS connection each time, re-attestation
 * after a revocation, and re-attestation after the certificate expired during a CA outage. Agent
 * certificates live 20 s here.
 */
class AgentIdentityIT {

  private static Cluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start(Map.of("profiles",
        Map.of("agent", Map.of("minTtl", "10s", "defaultTtl", "20s", "maxTtl", "60s"))), true);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static RotorAgent serviceAccountAgent(String node, Path tokenFile) throws Exception {
    Map<String, Object> settings = cluster.agentSettings(node, Files.createTempDirectory(cluster.tmp, "sa-" + node), null);
    settings.remove("ROTOR_AGENT_JOIN_TOKEN");
    settings.put("ROTOR_AGENT_TOKEN_FILE", tokenFile.toString());
    return cluster.agent(settings);
  }

  /** Records every agent certificate serial the agent holds. */
  private static Set<String> trackSerials(RotorAgent agent) {
    Set<String> serials = ConcurrentHashMap.newKeySet();
    Thread t = Thread.ofVirtual().start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        agent.credentials().map(Credentials::serial).ifPresent(serials::add);
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    trackers.add(t);
    return serials;
  }

  private static final List<Thread> trackers = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Test
  void renewsItsOwnCertificateAndReattestsWhenRevoked() throws Exception {
    Path token = cluster.tmp.resolve("token-renew");
    Files.writeString(token, "sa-token-renew-1\n");
    Cluster.acceptServiceAccountToken("sa-token-renew-1", "sa-1");
    cluster.pod("sa", "app-0", "app", "sa-1");
    RotorAgent agent = serviceAccountAgent("sa-1", token);
    assertThat(agent.awaitAttested(Duration.ofSeconds(20))).isTrue();
    assertThat(agent.credentials().orElseThrow().spiffeId()).contains("spiffe://rotor.local/agent/k8s/sa-1");
    Set<String> serials = trackSerials(agent);

    // Two renewals at half-life (about 10 s each), each before the previous certificate expired.
    await().atMost(Duration.ofSeconds(40)).until(() -> serials.size() >= 3);
    assertThat(Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"renewed\""))
        .isGreaterThanOrEqualTo(2.0);
    assertThat(Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"failed\""))
        .isZero();
    // Workload signing goes over the connection of the current certificate.
    cluster.secret("sa", "app-tls", identity("sa", "app"));
    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("sa", "app-tls"), SecretSink.TLS_CRT) != null);

    // Revoked: the server refuses the next renewal, and the agent attests again with its token.
    String revoked = agent.credentials().orElseThrow().serial();
    cluster.api("POST", "/api/v1/certificates/" + revoked + "/revoke", Map.of("reason", "keyCompromise"));
    await().atMost(Duration.ofSeconds(30)).until(() ->
        Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"attested\"") >= 2);
    assertThat(Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"refused\""))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(agent.credentials().orElseThrow().serial()).isNotEqualTo(revoked);
    cluster.stop(agent);
    trackers.forEach(Thread::interrupt);
  }

  @Test
  void reattestsWithAFreshTokenAfterItsCertificateExpiredDuringAnOutage() throws Exception {
    Path token = cluster.tmp.resolve("token-outage");
    Files.writeString(token, "sa-token-outage-1\n");
    Cluster.acceptServiceAccountToken("sa-token-outage-1", "sa-2");
    RotorAgent agent = serviceAccountAgent("sa-2", token);
    assertThat(agent.awaitAttested(Duration.ofSeconds(20))).isTrue();

    cluster.stopServer();
    Instant expiry = agent.credentials().orElseThrow().notAfter();
    // Meanwhile kubelet rotates the projected token; the old one stops being valid.
    Files.writeString(token, "sa-token-outage-2\n");
    Cluster.expireServiceAccountToken("sa-token-outage-1");
    Cluster.acceptServiceAccountToken("sa-token-outage-2", "sa-2");
    // Expired: /healthz fails rather than staying green on a dead certificate.
    await().atMost(Duration.between(Instant.now(), expiry).plusSeconds(5)).until(() ->
        Cluster.scrape(agent, "/healthz").statusCode() == 503);
    assertThat(Cluster.scrape(agent, "/healthz").body()).contains("agent");

    cluster.startServer();
    await().atMost(Duration.ofSeconds(20)).until(() ->
        agent.credentials().map(c -> !c.isExpired(Instant.now())).orElse(false));
    assertThat(Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"attested\""))
        .isEqualTo(2.0);
    assertThat(Cluster.scrape(agent, "/healthz").statusCode()).isEqualTo(200);
    cluster.stop(agent);
  }
}
