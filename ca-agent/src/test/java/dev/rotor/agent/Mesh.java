package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two agents with proxies for the CA rotation tests: agent A on node mesh-a terminates mTLS for
 * payments/api in front of an echo backend and fills Secret payments/api-tls; agent B on mesh-b
 * opens mTLS as web/frontend towards A. {@link Traffic} sends requests through both proxies
 * (client → B's outbound → A's inbound → echo) on new connections, counting every failure.
 */
final class Mesh implements AutoCloseable {

  static final String WEB = "spiffe://rotor.local/ns/web/sa/frontend";
  static final String API = "spiffe://rotor.local/ns/payments/sa/api";

  final Cluster cluster;
  final ServerSocket echo;
  final int inbound;
  final int outbound;
  final Path dirA;
  final Path dirB;
  final RotorAgent a;
  final RotorAgent b;

  Mesh(Map<String, Object> serverSettings) throws Exception {
    Path policy = Files.createTempFile("rotor-mesh-policy", ".yaml");
    Files.writeString(policy, "nodes:\n  mesh-a: [\"spiffe://rotor.local/ns/payments/*\"]\n  mesh-b: [\"spiffe://rotor.local/ns/web/*\"]\n");
    Map<String, Object> settings = new java.util.LinkedHashMap<>(serverSettings);
    settings.put("ROTOR_STATIC_POLICY", policy.toString());
    cluster = Cluster.start(settings, false);
    echo = new ServerSocket(0, 200, java.net.InetAddress.getLoopbackAddress());
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
    inbound = Cluster.freePort();
    outbound = Cluster.freePort();
    cluster.pod("payments", "api-0", "api", "mesh-a");
    cluster.secret("payments", "api-tls", Cluster.identity("payments", "api"));

    dirA = Files.createTempDirectory(cluster.tmp, "mesh-a-");
    Map<String, Object> sa = cluster.agentSettings("mesh-a", dirA, cluster.joinToken("mesh-a"));
    sa.put("proxy", Map.of("inbound", List.of(Map.of("name", "api-in", "listen", "127.0.0.1:" + inbound,
        "backend", "127.0.0.1:" + echo.getLocalPort(), "identity", API, "allow", List.of("spiffe://rotor.local/ns/web/*")))));
    a = cluster.agent(sa);
    dirB = Files.createTempDirectory(cluster.tmp, "mesh-b-");
    Map<String, Object> sb = cluster.agentSettings("mesh-b", dirB, cluster.joinToken("mesh-b"));
    sb.put("proxy", Map.of("outbound", List.of(Map.of("name", "to-api", "listen", "127.0.0.1:" + outbound,
        "upstream", "127.0.0.1:" + inbound, "identity", WEB, "expect", List.of(API)))));
    b = cluster.agent(sb);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try {
        return roundTrip(outbound, "ping").equals("ping");
      } catch (IOException e) {
        return false;
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.data(cluster.get("payments", "api-tls"), "tls.crt") != null);
  }

  /** The certificate file the agent keeps for a proxy identity. */
  X509Certificate proxyCert(Path agentDir, String id) throws Exception {
    return Pem.parseCertificates(Files.readString(proxyDir(agentDir, id).resolve("cert.pem"))).get(0);
  }

  Path proxyDir(Path agentDir, String id) {
    return agentDir.resolve("proxy").resolve(RotorAgent.directoryName(id));
  }

  X509Certificate secretLeaf() throws Exception {
    return Pem.parseCertificates(Cluster.data(cluster.get("payments", "api-tls"), "tls.crt")).get(0);
  }

  List<X509Certificate> secretCa() throws Exception {
    return Pem.parseCertificates(Cluster.data(cluster.get("payments", "api-tls"), "ca.crt"));
  }

  static String roundTrip(int port, String text) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
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
  }

  /** Requests through both proxies, each on a new connection (a new handshake), every 20 ms. */
  final class Traffic implements AutoCloseable {
    final AtomicLong ok = new AtomicLong();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private final Thread thread;

    Traffic() {
      thread = Thread.ofVirtual().start(() -> {
        long i = 0;
        while (running) {
          String text = "req-" + i++;
          try {
            if (roundTrip(outbound, text).equals(text)) {
              ok.incrementAndGet();
            } else {
              failures.add(java.time.Instant.now() + " wrong echo");
            }
          } catch (IOException e) {
            failures.add(java.time.Instant.now() + " " + e);
          }
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }
  }

  @Override
  public void close() throws Exception {
    echo.close();
    cluster.close();
  }
}
