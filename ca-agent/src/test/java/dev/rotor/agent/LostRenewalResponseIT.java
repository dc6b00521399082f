package dev.rotor.agent;

import static dev.rotor.agent.Cluster.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.agent.Cluster.Versions;
import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.renew.RenewalPolicy;
import dev.rotor.pki.Pem;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 with the real agent: a renewal of the agent's own certificate whose response never
 * arrives. The server issues and records the certificate; the agent receives nothing, keeps its
 * current certificate, retries with it after a backoff and goes on renewing, without attesting
 * again (a join-token agent could not) and without its workloads noticing.
 *
 * <p>The agent reaches the server through a {@link Relay}. Its renewal goes through the same
 * keep-alive mTLS client ({@code AgentApiClient}, HTTP/1.1) as workload signing and the revocation
 * feed's long poll, so it may travel on a pooled connection that signed a workload before, or on a
 * new one; a long poll in progress holds its own connection (one exchange at a time on HTTP/1.1).
 * The relay cannot read the encrypted bytes, so the lost response is singled out in three ways:
 * <ul>
 *   <li>the relay is armed after the only workload certificate was issued and before the agent's
 *       earliest renewal point, and that workload is not due again before the renewal and its
 *       retry are over (30-s workload certificates renew after at least 15 s, 20-s agent
 *       certificates after at most 11 s, the retry follows within 0.2 s);
 *   <li>it only loses an answer on a connection whose client sent bytes after the arming: the long
 *       poll asked before and waits 25 s, so its connection is left alone;
 *   <li>and only once the server lists a new agent certificate for this agent, that is after the
 *       renewal has been served and recorded, just before its response leaves (bytes the server
 *       sends earlier, such as a handshake of a new connection, pass).
 * </ul>
 */
class LostRenewalResponseIT {

  private static final String NODE = "lost-response-1";
  private Cluster cluster;
  private Relay relay;
  private final List<Thread> trackers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    trackers.forEach(Thread::interrupt);
    // The agent and the server first, then the relay between them.
    if (cluster != null) {
      cluster.close();
    }
    if (relay != null) {
      relay.close();
    }
  }

  @Test
  void theAgentKeepsItsCertificateRetriesWithItAndGoesOnRenewing() throws Exception {
    cluster = Cluster.start(Map.of("profiles", Map.of(
        "agent", Map.of("minTtl", "10s", "defaultTtl", "20s", "maxTtl", "60s"),
        "workload", Map.of("minTtl", "10s", "defaultTtl", "30s", "maxTtl", "60s"))), false);
    relay = new Relay(new InetSocketAddress("127.0.0.1", cluster.serverHttpsPort()));
    cluster.pod("lost", "app-0", "app", NODE);
    Map<String, Object> settings =
        cluster.agentSettings(NODE, Files.createTempDirectory(cluster.tmp, "agent-"), cluster.joinToken(NODE));
    settings.put("ROTOR_AGENT_SERVER", "https://localhost:" + relay.port());
    RotorAgent agent = cluster.agent(settings);
    assertThat(agent.awaitAttested(Duration.ofSeconds(20))).isTrue();
    Credentials previous = agent.credentials().orElseThrow();
    String agentId = previous.spiffeId().orElseThrow();
    List<String> held = trackSerials(agent);

    try (Versions versions = cluster.watch("lost", "app-tls")) {
      cluster.secret("lost", "app-tls", identity("lost", "app"));
      await().atMost(Duration.ofSeconds(10)).until(() -> versions.landed().size() == 1);

      Instant earliestRenewal = RenewalPolicy.HALF_LIFE.renewAt(previous.notBefore(), previous.notAfter(), 0);
      assertThat(Instant.now()).as("arming before the agent's earliest renewal point").isBefore(earliestRenewal);
      List<String> before = agentCertificates(agentId);
      assertThat(before).containsExactly(previous.serial());
      AtomicReference<String> lost = new AtomicReference<>();
      relay.arm(() -> {
        List<String> now = agentCertificates(agentId);
        if (now.size() > before.size()) {
          lost.set(now.get(0));
          return true;
        }
        return false;
      });

      // The renewal is served and recorded; its response is lost on the way.
      assertThat(relay.awaitCut(Duration.between(Instant.now(), previous.notAfter()))).as("the renewal's response cut").isTrue();
      String lostSerial = lost.get();
      assertThat(lostSerial).isNotEqualTo(previous.serial());
      assertThat(agentCertificates(agentId)).as("the server recorded the certificate whose response was lost")
          .containsExactly(lostSerial, previous.serial());

      // The agent kept its certificate and renewed with it after a backoff, before it expired.
      await().atMost(Duration.between(Instant.now(), previous.notAfter())).pollInterval(Duration.ofMillis(50))
          .until(() -> held.size() >= 2 && renewals(Cluster.metrics(agent), "renewed") >= 1);
      Credentials renewed = agent.credentials().orElseThrow();
      assertThat(held).as("serials the agent held, in order").containsExactly(previous.serial(), renewed.serial());
      assertThat(renewed.notAfter()).isAfter(previous.notAfter());
      assertThat(agentCertificates(agentId)).containsExactly(renewed.serial(), lostSerial, previous.serial());
      String metrics = Cluster.metrics(agent);
      assertThat(renewals(metrics, "failed")).as("the lost response counted as a failed renewal").isEqualTo(1.0);
      assertThat(renewals(metrics, "renewed")).isEqualTo(1.0);
      assertThat(renewals(metrics, "refused")).isZero();
      assertThat(renewals(metrics, "attested")).as("no re-attestation").isEqualTo(1.0);

      // It goes on renewing (the server has no reason to refuse the certificate it now uses) ...
      await().atMost(Duration.between(Instant.now(), renewed.notAfter())).pollInterval(Duration.ofMillis(50))
          .until(() -> held.size() >= 3);
      assertThat(held.get(2)).isNotIn(previous.serial(), lostSerial, renewed.serial());
      // ... and the workload certificate it manages is renewed as usual, over the new certificate.
      X509Certificate first = leaf(versions.landed().get(0));
      await().atMost(Duration.between(Instant.now(), first.getNotAfter().toInstant())).until(() -> versions.landed().size() >= 2);
      assertThat(leaf(versions.landed().get(1)).getSerialNumber()).isNotEqualTo(first.getSerialNumber());

      assertThat(attestations(agentId)).as("agent.attested audit entries").isEqualTo(1);
      metrics = Cluster.metrics(agent);
      assertThat(renewals(metrics, "attested")).isEqualTo(1.0);
      assertThat(renewals(metrics, "refused")).isZero();
      assertThat(renewals(metrics, "failed")).isEqualTo(1.0);
      assertThat(Cluster.scrape(agent, "/healthz").statusCode()).isEqualTo(200);
      assertThat(held).doesNotContain(lostSerial);
    }
  }

  /** Every serial the agent holds, in order, sampled every 20 ms (each is held for seconds). */
  private List<String> trackSerials(RotorAgent agent) {
    List<String> serials = new java.util.concurrent.CopyOnWriteArrayList<>();
    trackers.add(Thread.ofVirtual().start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        agent.credentials().map(Credentials::serial).ifPresent(s -> {
          if (serials.isEmpty() || !serials.get(serials.size() - 1).equals(s)) {
            serials.add(s);
          }
        });
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }));
    return serials;
  }

  /** The serials (lower-case hex, as {@link Credentials#serial()}) of the agent certificates issued for {@code id}, newest first. */
  private List<String> agentCertificates(String id) {
    try {
      JsonNode page = cluster.api("GET", "/api/v1/certificates?limit=100&profile=agent&q="
          + URLEncoder.encode(id, StandardCharsets.UTF_8), null);
      List<String> out = new ArrayList<>();
      for (JsonNode item : page.get("items")) {
        out.add(new BigInteger(item.get("serial").asText(), 16).toString(16));
      }
      return out;
    } catch (Exception e) {
      throw new AssertionError("cannot list the agent's certificates", e);
    }
  }

  private int attestations(String id) throws Exception {
    JsonNode page = cluster.api("GET", "/api/v1/audit?limit=100&action=agent.attested", null);
    int n = 0;
    for (JsonNode e : page.get("items")) {
      n += id.equals(e.get("target").asText()) ? 1 : 0;
    }
    return n;
  }

  private static double renewals(String metrics, String outcome) {
    return Cluster.sample(metrics, "rotor_agent_renewals_total", "kind=\"agent\"", "outcome=\"" + outcome + "\"");
  }

  private static X509Certificate leaf(Cluster.Version v) throws Exception {
    return Pem.parseCertificates(Cluster.data(v.secret(), "tls.crt")).get(0);
  }
}
