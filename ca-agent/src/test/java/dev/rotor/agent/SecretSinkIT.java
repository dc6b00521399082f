package dev.rotor.agent;

import static dev.rotor.agent.Cluster.data;
import static dev.rotor.agent.Cluster.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.agent.sink.SecretSink;
import dev.rotor.pki.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent against a real server and the Kubernetes mock: Secrets filled, refused identities,
 * restarts, join-token reuse, the file sink. Each test uses its own nodes and namespaces.
 */
class SecretSinkIT {

  private static Cluster cluster;
  private static List<X509Certificate> bundle;

  @BeforeAll
  static void start() throws Exception {
    Path policy = Files.createTempFile("rotor-static-policy-", ".yaml");
    Files.writeString(policy, """
        nodes:
          files-1: ["spiffe://rotor.local/ns/proxy/sa/envoy"]
        """);
    cluster = Cluster.start(Map.of("ROTOR_STATIC_POLICY", policy.toString()), false);
    bundle = cluster.bundle();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Test 1: an annotated Secret is filled within seconds: chain verifies, key matches, SAN is the identity. */
  @Test
  void annotatedSecretIsFilledWithinSeconds() throws Exception {
    cluster.pod("payments", "api-0", "api", "node-1");
    cluster.pod("payments", "api-elsewhere", "api", "node-9");
    RotorAgent agent = cluster.agent("node-1");

    Map<String, String> a = new LinkedHashMap<>(identity("payments", "api"));
    a.put(SecretSink.DNS_NAMES, "api.payments.svc.cluster.local,api-admin.payments.svc.cluster.local");
    cluster.secret("payments", "api-tls", a);
    String id = "spiffe://rotor.local/ns/payments/sa/api";

    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("payments", "api-tls"), SecretSink.TLS_CRT) != null);
    Secret s = cluster.get("payments", "api-tls");
    X509Certificate leaf = Pairs.assertSecretHolds(s, id, bundle);
    assertThat(leaf.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == 2).map(n -> (Object) n.get(1).toString()).toList())
        .containsExactlyInAnyOrder((Object) "api.payments.svc.cluster.local", "api-admin.payments.svc.cluster.local");
    assertThat(Cluster.data(s, SecretSink.TLS_KEY)).startsWith("-----BEGIN PRIVATE KEY-----");

    // A workload scheduled later: its Secret waits for the pod, then fills within seconds.
    cluster.secret("payments", "worker-tls", identity("payments", "worker"));
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(() -> data(cluster.get("payments", "worker-tls"), SecretSink.TLS_CRT) == null);
    cluster.pod("payments", "worker-0", "worker", "node-1");
    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("payments", "worker-tls"), SecretSink.TLS_CRT) != null);
    Pairs.assertSecretHolds(cluster.get("payments", "worker-tls"), "spiffe://rotor.local/ns/payments/sa/worker", bundle);

    // The server knows which Secrets this agent fills (shown on the admin UI's agent page).
    await().atMost(Duration.ofSeconds(15)).until(() -> cluster.api("GET", "/api/v1/agents/node-1", null).get("targets").toString()
        .contains("secret:payments/worker-tls"));
    assertThat(cluster.api("GET", "/api/v1/agents/node-1", null).get("targets").toString())
        .contains("secret:payments/api-tls").contains(id);

    String metrics = Cluster.metrics(agent);
    assertThat(Cluster.sample(metrics, "rotor_agent_certificate_expiry_seconds", "target=\"secret:payments/api-tls\"",
        "identity=\"" + id + "\"")).isBetween(60.0, 15 * 60.0);
    assertThat(Cluster.sample(metrics, "rotor_agent_renewals_total", "kind=\"workload\"", "outcome=\"issued\"")).isEqualTo(2.0);
    assertThat(Cluster.sample(metrics, "rotor_agent_secret_writes_total", "outcome=\"written\"")).isEqualTo(2.0);
    assertThat(Cluster.scrape(agent, "/healthz").statusCode()).isEqualTo(200);
    cluster.stop(agent);
  }

  /**
   * Test 6 (agent side): an identity with no pod on the node is never requested and its Secret
   * never touched; a 403 from the server is counted, leaves the Secret as it was, and is not
   * retried hot.
   */
  @Test
  void anAgentLimitedToSomeNamespacesLeavesTheOthersAlone() throws Exception {
    cluster.pod("team-a", "app-0", "app", "node-7");
    cluster.pod("team-b", "app-0", "app", "node-7");
    Map<String, Object> settings = cluster.agentSettings("node-7", Files.createTempDirectory(cluster.tmp, "ns-"), cluster.joinToken("node-7"));
    settings.put("ROTOR_AGENT_SECRET_NAMESPACES", "team-a");
    RotorAgent agent = cluster.agent(settings);
    assertThat(agent.awaitAttested(Duration.ofSeconds(20))).isTrue();
    cluster.secret("team-a", "app-tls", identity("team-a", "app"));
    Secret other = cluster.secret("team-b", "app-tls", identity("team-b", "app"));
    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("team-a", "app-tls"), SecretSink.TLS_CRT) != null);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
        cluster.get("team-b", "app-tls").getMetadata().getResourceVersion().equals(other.getMetadata().getResourceVersion()));
    assertThat(cluster.issued("ns/team-b/sa/app")).isEmpty();
    cluster.stop(agent);
  }

  @Test
  void refusedIdentitiesLeaveSecretsAlone() throws Exception {
    cluster.pod("shop", "cart-0", "cart", "node-2");
    cluster.pod("ghost", "ghost-0", "ghost", "node-99");
    RotorAgent agent = cluster.agent("node-2");

    Secret orphan = cluster.secret("ghost", "ghost-tls", identity("ghost", "ghost"));
    // A DNS name of another namespace: the agent asks (a pod runs here), the server refuses with 403.
    Map<String, String> a = new LinkedHashMap<>(identity("shop", "cart"));
    a.put(SecretSink.DNS_NAMES, "cart.payments.svc.cluster.local");
    Secret refused = cluster.secret("shop", "cart-tls", a);
    cluster.secret("shop", "cart-ok-tls", identity("shop", "cart"));

    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("shop", "cart-ok-tls"), SecretSink.TLS_CRT) != null);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"workload\"", "outcome=\"denied\"") >= 1);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
        cluster.get("ghost", "ghost-tls").getMetadata().getResourceVersion().equals(orphan.getMetadata().getResourceVersion())
            && cluster.get("shop", "cart-tls").getMetadata().getResourceVersion().equals(refused.getMetadata().getResourceVersion()));
    // One refusal, not a retry loop (the next attempt waits ROTOR_AGENT_DENIED_RETRY, 60 s).
    assertThat(Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"workload\"", "outcome=\"denied\"")).isEqualTo(1.0);
    assertThat(cluster.issued("ns/ghost/sa/ghost")).isEmpty();
    assertThat(cluster.issued("ns/shop/sa/cart")).hasSize(1);
    cluster.stop(agent);
  }

  /** Test 6 (agent side): a reused join token is refused clearly; the agent neither crashes nor retries hot. */
  @Test
  void reusedJoinTokenFailsClearlyWithoutCrashLoop() throws Exception {
    String token = cluster.joinToken("node-3");
    RotorAgent first = cluster.agent(cluster.agentSettings("node-3", Files.createTempDirectory(cluster.tmp, "a"), token));
    assertThat(first.awaitAttested(Duration.ofSeconds(20))).isTrue();

    RotorAgent second = cluster.agent(cluster.agentSettings("node-3", Files.createTempDirectory(cluster.tmp, "b"), token));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> Cluster.sample(Cluster.metrics(second), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"refused\"") >= 2);
    // Still up and serving its endpoint, still without credentials, retrying with backoff (200 ms doubling to 2 s).
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
        .until(() -> second.credentials().isEmpty() && Cluster.scrape(second, "/healthz").statusCode() == 200);
    double refused = Cluster.sample(Cluster.metrics(second), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"refused\"");
    assertThat(refused).isBetween(3.0, 10.0);
    assertThat(second.credentials()).isEmpty();
    assertThat(Cluster.scrape(second, "/healthz").statusCode()).isEqualTo(200);
    assertThat(first.credentials()).isPresent();
    cluster.stop(second);
    cluster.stop(first);
  }

  /** Test 7: a restarted agent re-uses its own certificate and the valid Secrets instead of issuing again. */
  @Test
  void restartReusesValidSecrets() throws Exception {
    cluster.pod("billing", "ledger-0", "ledger", "node-4");
    Path dataDir = Files.createTempDirectory(cluster.tmp, "restart");
    Map<String, Object> settings = cluster.agentSettings("node-4", dataDir, cluster.joinToken("node-4"));
    RotorAgent agent = cluster.agent(settings);
    assertThat(agent.awaitAttested(Duration.ofSeconds(20))).isTrue();
    String agentSerial = agent.credentials().orElseThrow().serial();
    cluster.secret("billing", "ledger-tls", identity("billing", "ledger"));
    cluster.secret("billing", "ledger-2-tls", identity("billing", "ledger"));
    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("billing", "ledger-tls"), SecretSink.TLS_CRT) != null
        && data(cluster.get("billing", "ledger-2-tls"), SecretSink.TLS_CRT) != null);
    String v1 = cluster.get("billing", "ledger-tls").getMetadata().getResourceVersion();
    String v2 = cluster.get("billing", "ledger-2-tls").getMetadata().getResourceVersion();
    cluster.stop(agent);

    // The join token is spent: the new process can only work if it re-uses the stored certificate.
    RotorAgent again = cluster.agent(settings);
    assertThat(again.awaitAttested(Duration.ofSeconds(20))).isTrue();
    assertThat(again.credentials().orElseThrow().serial()).isEqualTo(agentSerial);
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      String m = Cluster.metrics(again);
      return m.contains("target=\"secret:billing/ledger-tls\"") && m.contains("target=\"secret:billing/ledger-2-tls\"");
    });
    assertThat(cluster.get("billing", "ledger-tls").getMetadata().getResourceVersion()).isEqualTo(v1);
    assertThat(cluster.get("billing", "ledger-2-tls").getMetadata().getResourceVersion()).isEqualTo(v2);
    assertThat(cluster.issued("ns/billing/sa/ledger")).hasSize(2);
    assertThat(cluster.issued("agent/k8s/node-4")).hasSize(1);
    assertThat(Cluster.sample(Cluster.metrics(again), "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"reused\"")).isEqualTo(1.0);
    cluster.stop(again);
  }

  /**
   * A Secret whose certificate is fine but whose ca.crt is not the current bundle (as after a CA
   * rotation) gets ca.crt replaced without a new certificate; a Secret holding a mismatched pair
   * gets a new one.
   */
  @Test
  void staleBundleIsReplacedWithoutReissueAndBrokenPairsAreRepaired() throws Exception {
    cluster.pod("ops", "tool-0", "tool", "node-5");
    RotorAgent agent = cluster.agent("node-5");
    cluster.secret("ops", "tool-tls", identity("ops", "tool"));
    await().atMost(Duration.ofSeconds(10)).until(() -> data(cluster.get("ops", "tool-tls"), SecretSink.TLS_CRT) != null);
    Secret filled = cluster.get("ops", "tool-tls");
    String serial = filled.getMetadata().getAnnotations().get(SecretSink.SERIAL);

    TestCa old = new TestCa("retired");
    String stale = Pem.certificate(old.root.getEncoded());
    cluster.client.secrets().inNamespace("ops").resource(new SecretBuilder(filled)
        .addToData(SecretSink.CA_CRT, Base64.getEncoder().encodeToString(stale.getBytes())).build()).update();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        Pem.parseCertificates(data(cluster.get("ops", "tool-tls"), SecretSink.CA_CRT)).equals(bundle));
    Secret fixed = cluster.get("ops", "tool-tls");
    assertThat(fixed.getMetadata().getAnnotations().get(SecretSink.SERIAL)).isEqualTo(serial);
    assertThat(data(fixed, SecretSink.TLS_KEY)).isEqualTo(data(filled, SecretSink.TLS_KEY));

    // Someone pastes another key into the Secret: the agent replaces both, together.
    String foreignKey = dev.rotor.pki.PrivateKeys.toPem(dev.rotor.agent.api.Csrs.newKeyPair().getPrivate());
    cluster.client.secrets().inNamespace("ops").resource(new SecretBuilder(fixed)
        .addToData(SecretSink.TLS_KEY, Base64.getEncoder().encodeToString(foreignKey.getBytes())).build()).update();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !serial.equals(cluster.get("ops", "tool-tls").getMetadata().getAnnotations().get(SecretSink.SERIAL)));
    Pairs.assertSecretHolds(cluster.get("ops", "tool-tls"), "spiffe://rotor.local/ns/ops/sa/tool", bundle);
    assertThat(cluster.issued("ns/ops/sa/tool")).hasSize(2);
    cluster.stop(agent);
  }

  /** The file sink outside Kubernetes: cert.pem, key.pem (0600) and bundle.pem for a configured identity. */
  @Test
  void fileSinkWritesConfiguredIdentities() throws Exception {
    Path dir = Files.createTempDirectory(cluster.tmp, "files");
    Path allowed = dir.resolve("envoy");
    Path denied = dir.resolve("other");
    Map<String, Object> settings = cluster.agentSettings("files-1", Files.createTempDirectory(cluster.tmp, "data"),
        cluster.joinToken("files-1"));
    settings.put("ROTOR_AGENT_FILE_IDENTITIES",
        "spiffe://rotor.local/ns/proxy/sa/envoy=" + allowed + ";spiffe://rotor.local/ns/proxy/sa/other=" + denied);
    RotorAgent agent = RotorAgent.start(AgentConfig.fromMap(settings, Map.of()), null);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(allowed.resolve("bundle.pem")));
      Pairs.assertPair(Files.readString(allowed.resolve("cert.pem")), Files.readString(allowed.resolve("key.pem")),
          "spiffe://rotor.local/ns/proxy/sa/envoy", bundle);
      assertThat(Pem.parseCertificates(Files.readString(allowed.resolve("bundle.pem")))).containsExactlyElementsOf(bundle);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(allowed.resolve("key.pem")))).isEqualTo("rw-------");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> Cluster.sample(Cluster.metrics(agent), "rotor_agent_renewals_total", "kind=\"workload\"", "outcome=\"denied\"") == 1);
      assertThat(denied).doesNotExist();
      List<JsonNode> issued = cluster.issued("ns/proxy/sa/");
      assertThat(issued).hasSize(1);
      assertThat(issued.get(0).get("requester").asText()).isEqualTo("agent:files-1");
    } finally {
      agent.close();
    }
  }
}
