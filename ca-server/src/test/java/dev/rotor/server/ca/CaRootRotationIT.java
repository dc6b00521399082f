package dev.rotor.server.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.pki.Pem;
import dev.rotor.server.Csrs;
import dev.rotor.server.TestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, test 4: root rotation with cross-signing. The new root is in the bundle before anything
 * chains to it; once its intermediate signs, leaves come with the cross-certificate, so a client
 * anchored only on the old root still verifies them (and the server's own certificate); the old
 * root leaves the bundle when nothing under it is in service.
 */
class CaRootRotationIT {

  @Test
  void a_client_holding_only_the_old_root_verifies_leaves_of_the_new_one_during_the_overlap() throws Exception {
    try (TestServer server = TestServer.start(CaRotationIT.shortLived())) {
      X509Certificate oldRoot = server.bundle().get(0);
      assertThat(server.post("/api/v1/ca/rotate-root", server.token("ops", "operator"), Map.of()).status()).isEqualTo(403);
      TestServer.Reply r = server.post("/api/v1/ca/rotate-root", TestServer.ADMIN_TOKEN, Map.of());
      assertThat(r.status()).isEqualTo(200);
      int newIntermediate = r.json().get("intermediate").asInt();
      assertThat(server.post("/api/v1/ca/rotate-root", TestServer.ADMIN_TOKEN, Map.of()).status()).isEqualTo(409);
      List<X509Certificate> roots = server.bundle().stream().filter(CaRootRotationIT::selfSigned).toList();
      assertThat(roots).hasSize(2).contains(oldRoot);
      X509Certificate newRoot = roots.stream().filter(c -> !c.equals(oldRoot)).findFirst().orElseThrow();
      // published before anything chains to it: leaves still come from the old hierarchy
      assertThat(chain(server, "before").get(1).getIssuerX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());

      await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
          .until(() -> server.server().ca().issuerId() == newIntermediate);
      List<X509Certificate> chain = chain(server, "after");
      assertThat(chain).hasSize(3);
      X509Certificate cross = chain.get(2);
      assertThat(cross.getSubjectX500Principal()).isEqualTo(newRoot.getSubjectX500Principal());
      assertThat(cross.getPublicKey()).isEqualTo(newRoot.getPublicKey());
      assertThat(cross.getIssuerX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());
      validate(chain, oldRoot); // leaf → new intermediate → cross → old root
      validate(chain.subList(0, 2), newRoot);
      assertThat(server.bundle().get(0)).isEqualTo(newRoot);
      // the server's own certificate too, for a client that has only the old root
      try (HttpClient oldClient = HttpClient.newBuilder().sslContext(TestServer.sslContext(List.of(oldRoot))).build()) {
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> oldClient.send(
            HttpRequest.newBuilder(server.https("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      }
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.root.prepared'")).isEqualTo(1);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.root.activated'")).isEqualTo(1);

      // once nothing under the old root is in service, it leaves the bundle and the cross-certificate is no longer sent
      await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> !server.bundle().contains(oldRoot));
      // (checked on the snapshot: this test's HTTP client, built at start, trusts only the old root)
      await().atMost(Duration.ofSeconds(5)).until(() -> server.server().ca().chainAbove().size() == 1);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.root.removed'")).isEqualTo(1);
    }
  }

  private static boolean selfSigned(X509Certificate c) {
    return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
  }

  private static List<X509Certificate> chain(TestServer server, String name) throws Exception {
    JsonNode issued = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("root", name), "brief", null).json();
    TestServer.Reply pem = server.send("GET", "/api/v1/certificates/" + issued.get("serial").asText(), TestServer.ADMIN_TOKEN, null, null,
        Map.of("Accept", "application/pem-certificate-chain"));
    assertThat(pem.status()).isEqualTo(200);
    return Pem.parseCertificates(pem.body());
  }

  private static void validate(List<X509Certificate> path, X509Certificate anchor) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
  }
}
