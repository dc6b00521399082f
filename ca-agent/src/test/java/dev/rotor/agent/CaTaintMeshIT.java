package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, test 2: the active intermediate is declared compromised under traffic. Every identity
 * (both agents' own certificates, both proxy identities, the managed Secret) is re-issued under
 * the new CA within seconds — far inside one leaf TTL (5 minutes here) — with no failed request;
 * then revoke-intermediate removes the tainted CA from the bundle and from ca.crt, and a leaf it
 * signed is refused by the proxy.
 */
class CaTaintMeshIT {

  @Test
  void aTaintedIntermediateIsReplacedEverywhereWithoutAFailedRequest() throws Exception {
    Map<String, Object> server = Map.of(
        "ROTOR_CA_ROTATION_POLL", "250ms",
        "profiles", Map.of("workload", Map.of("minTtl", "1m", "defaultTtl", "5m", "maxTtl", "15m")));
    try (Mesh mesh = new Mesh(server)) {
      int tainted = mesh.cluster.api("GET", "/api/v1/ca/slots", null).get("activeId").asInt();
      X509Certificate taintedCa = CaRotationMeshIT.caCert(mesh.cluster, tainted);
      // an identity the tainted CA signed, kept to knock on the proxy's door afterwards
      X509Certificate oldWeb = mesh.proxyCert(mesh.dirB, Mesh.WEB);
      PrivateKey oldWebKey = PrivateKeys.parse(Files.readString(mesh.proxyDir(mesh.dirB, Mesh.WEB).resolve("key.pem")));
      assertThat(oldWeb.getIssuerX500Principal()).isEqualTo(taintedCa.getSubjectX500Principal());

      Mesh.Traffic traffic = mesh.new Traffic();
      long elapsedMs;
      try (traffic) {
        Thread.sleep(500);
        long t0 = System.nanoTime();
        int fresh = mesh.cluster.api("POST", "/api/v1/ca/taint", Map.of()).get("activeId").asInt();
        X509Certificate freshCa = CaRotationMeshIT.caCert(mesh.cluster, fresh);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
            issuedBy(freshCa, mesh.proxyCert(mesh.dirA, Mesh.API), mesh.proxyCert(mesh.dirB, Mesh.WEB), mesh.secretLeaf(),
                mesh.a.credentials().orElseThrow().leaf(), mesh.b.credentials().orElseThrow().leaf()));
        elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(1000); // traffic on the new identities too

        mesh.cluster.api("POST", "/api/v1/ca/revoke-intermediate", Map.of());
        assertThat(mesh.cluster.bundle()).doesNotContain(taintedCa).contains(freshCa);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> !mesh.secretCa().contains(taintedCa));
        Thread.sleep(1000);
      }
      assertThat(traffic.failures).as("failed requests").isEmpty();
      assertThat(traffic.ok.get()).isGreaterThan(20);
      assertThat(elapsedMs).as("taint to the last identity re-issued, ms").isLessThan(Duration.ofMinutes(5).toMillis());
      System.out.println("taint to last identity re-issued: " + elapsedMs + " ms");

      // The agents' bundle has dropped it too: a leaf of the removed CA is refused by A's inbound proxy.
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
          mesh.a.proxy().isPresent() && !refusedWith(oldWeb, oldWebKey, taintedCa, mesh.inbound).equals("accepted"));
      assertThat(Cluster.sample(Cluster.metrics(mesh.a), "rotor_proxy_denials_total", "listener", "api-in", "reason", "untrusted"))
          .isPositive();
    }
  }

  private static boolean issuedBy(X509Certificate ca, X509Certificate... leaves) {
    for (X509Certificate leaf : leaves) {
      try {
        leaf.verify(ca.getPublicKey());
      } catch (Exception e) {
        return false;
      }
    }
    return true;
  }

  /** Presents {@code leaf} (and its CA) to the inbound listener: "accepted" if the echo came back. */
  private static String refusedWith(X509Certificate leaf, PrivateKey key, X509Certificate ca, int port) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("old", key, "pw".toCharArray(), new X509Certificate[] {leaf, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "pw".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    try (Socket raw = new Socket("127.0.0.1", port); SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, "127.0.0.1", port, true)) {
      s.setSoTimeout(5_000);
      s.startHandshake();
      s.getOutputStream().write("x".getBytes());
      s.getOutputStream().flush();
      return s.getInputStream().read() == 'x' ? "accepted" : "closed";
    } catch (IOException e) {
      return "refused: " + e.getMessage();
    }
  }
}
