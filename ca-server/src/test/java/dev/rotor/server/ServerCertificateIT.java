package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** The server renews its own HTTPS certificate before it expires, without a restart. */
class ServerCertificateIT {

  static X509Certificate presented(TestServer server) throws Exception {
    try (SSLSocket s = (SSLSocket) TestServer.sslContext(server.bundle()).getSocketFactory()
        .createSocket("127.0.0.1", server.server().httpsPort())) {
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void renews_the_https_certificate_in_place() throws Exception {
    try (TestServer server = TestServer.start(Map.of("ROTOR_SERVER_CERT_TTL", "6s", "ROTOR_HOSTNAMES", "rotor.example.internal,10.1.2.3"))) {
      X509Certificate first = presented(server);
      assertThat(first.getSubjectAlternativeNames()).extracting(l -> (Object) l.get(1))
          .contains((Object) "localhost", "127.0.0.1", "rotor.example.internal", "10.1.2.3");
      // renewed at 2/3 of its 6.5 s lifetime: a new serial arrives, the old one never outlives itself
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        X509Certificate now = presented(server);
        assertThat(now.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
      });
      BigInteger second = presented(server).getSerialNumber();
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(presented(server).getSerialNumber()).isNotEqualTo(second));
      // each renewal went through the issuance door: recorded and audited
      assertThat(server.count("SELECT count(*) FROM certificates WHERE profile = 'server' AND channel = 'system'")).isGreaterThanOrEqualTo(3);
      assertThat(server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json().get("ok").asBoolean()).isTrue();
    }
  }
}
