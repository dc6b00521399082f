package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.agent.proxy.PeerVerifier;
import dev.rotor.pki.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy as the agent runs it: listeners from the agent's {@code proxy:} configuration, their
 * identities obtained and kept fresh by the agent, the revocation feed followed over the agent's
 * own mTLS connection, decisions on the agent's {@code /metrics}.
 */
class AgentProxyIT {

  private static final String WEB = "spiffe://rotor.local/ns/web/sa/frontend";
  private static final String API = "spiffe://rotor.local/ns/payments/sa/api";

  private static Cluster cluster;
  private static ServerSocket echo;

  @BeforeAll
  static void start() throws Exception {
    Path policy = Files.createTempFile("rotor-mesh-policy", ".yaml");
    Files.writeString(policy, "nodes:\n  mesh-node: [\"spiffe://rotor.local/ns/web/*\", \"spiffe://rotor.local/ns/payments/*\"]\n");
    cluster = Cluster.start(Map.of("ROTOR_STATIC_POLICY", policy.toString()), false);
    echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread.ofVirtual().start(() -> {
            try (s) {
              s.getInputStream().transferTo(s.getOutputStream());
            } catch (IOException ignored) {
              // peer gone
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (echo != null) {
      echo.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String echoThrough(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    byte[] buf = new byte[text.length()];
    int off = 0;
    InputStream in = s.getInputStream();
    while (off < buf.length) {
      int n = in.read(buf, off, buf.length - off);
      if (n < 0) {
        throw new IOException("closed after " + off + " bytes");
      }
      off += n;
    }
    return new String(buf, StandardCharsets.UTF_8);
  }

  @Test
  void theAgentRunsItsProxyWithIdentitiesItKeepsFresh() throws Exception {
    int in = Cluster.freePort();
    int out = Cluster.freePort();
    Path dataDir = Files.createTempDirectory(cluster.tmp, "mesh-agent-");
    Map<String, Object> settings = cluster.agentSettings("mesh-node", dataDir, cluster.joinToken("mesh-node"));
    settings.put("proxy", Map.of(
        "inbound", List.of(Map.of("name", "api-in", "listen", "127.0.0.1:" + in, "backend", "127.0.0.1:" + echo.getLocalPort(),
            "identity", API, "allow", List.of("spiffe://rotor.local/ns/web/*"))),
        "outbound", List.of(Map.of("name", "to-api", "listen", "127.0.0.1:" + out, "upstream", "127.0.0.1:" + in,
            "identity", WEB, "expect", List.of(API)))));
    RotorAgent agent = cluster.agent(settings);
    assertThat(agent.proxy()).isPresent();

    // The agent obtains both identities; then bytes flow client → outbound → inbound → backend and back.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try (Socket s = new Socket("127.0.0.1", out)) {
        s.setSoTimeout(5_000);
        return echoThrough(s, "ping").equals("ping");
      } catch (IOException e) {
        return false;
      }
    });
    String metrics = Cluster.metrics(agent);
    assertThat(Cluster.sample(metrics, "rotor_proxy_connections_total", "listener", "api-in", "outcome", "allowed")).isPositive();
    assertThat(Cluster.sample(metrics, "rotor_proxy_connections_total", "listener", "to-api", "outcome", "allowed")).isPositive();

    // Revoke the certificate the outbound side presents: its open connection is closed, through
    // the revocation feed the agent follows.
    Path webDir = dataDir.resolve("proxy").resolve(RotorAgent.directoryName(WEB));
    X509Certificate webCert = Pem.parseCertificates(Files.readString(webDir.resolve("cert.pem"))).get(0);
    try (Socket s = new Socket("127.0.0.1", out)) {
      s.setSoTimeout(15_000);
      assertThat(echoThrough(s, "before")).isEqualTo("before");
      long t0 = System.nanoTime();
      cluster.api("POST", "/api/v1/certificates/" + PeerVerifier.serial(webCert) + "/revoke", Map.of("reason", "keyCompromise"));
      try {
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      } catch (IOException e) {
        // reset: closed as well
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }
    await().atMost(Duration.ofSeconds(5)).until(() ->
        Cluster.sample(Cluster.metrics(agent), "rotor_proxy_denials_total", "listener", "api-in", "reason", "revoked_while_open") >= 1);
    cluster.stop(agent);
  }

  @Test
  void aBadProxySectionIsAConfigurationError() {
    Map<String, Object> settings = cluster.agentSettings("mesh-node", cluster.tmp.resolve("unused"), "rotor_join_x");
    settings.put("proxy", Map.of("inbound", List.of(Map.of("name", "x", "listen", "nowhere"))));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromMap(settings, Map.of()))
        .hasMessageContaining("proxy.inbound x");
  }
}
