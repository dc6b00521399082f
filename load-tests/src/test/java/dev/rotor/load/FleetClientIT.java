package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.KeyAlgorithm;
import java.math.BigInteger;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FleetClient} against a plain Jetty TLS server that wants a client certificate and answers
 * with the SAN and serial of the one it got: every connection presents its own credential, a
 * reconnect with the same credential resumes, a renewed credential does a full handshake, and the
 * server's host name is checked.
 */
class FleetClientIT {

  private static final AtomicLong SERIALS = new AtomicLong(1);

  private final KeyPair caKeys = KeyAlgorithm.EC_P256.generate();
  private final X509Certificate ca = certificate("CN=Test CA", caKeys, caKeys, null, true);
  private Server server;
  private FleetClient client;
  private URI uri;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void eachCredentialIsItsOwnConnectionAndCertificate() throws Exception {
    start(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    AgentCredential a = credential(0, 0);
    AgentCredential b = credential(1, 0);

    assertThat(get(a)).isEqualTo(expected(a));
    assertThat(get(b)).isEqualTo(expected(b));
    assertThat(get(a)).isEqualTo(expected(a));
    assertThat(client.openConnections()).isEqualTo(2);
    assertThat(client.fullHandshakes()).isEqualTo(2);
    assertThat(client.resumedHandshakes()).isZero();
  }

  @Test
  void aReconnectResumesAndARenewedCredentialHandshakesInFull() throws Exception {
    start(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    AgentCredential first = credential(0, 0);
    assertThat(client.connect(first, uri, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS))
        .isEqualTo(200);
    assertThat(client.fullHandshakes()).isEqualTo(1);

    // The server closes after this one; the next request reconnects with the same credential.
    ContentResponse closing = client.request(first, uri)
        .headers(h -> h.put(HttpHeader.CONNECTION, "close")).send();
    assertThat(closing.getContentAsString()).isEqualTo(expected(first));
    assertThat(get(first)).isEqualTo(expected(first));
    assertThat(client.resumedHandshakes()).isEqualTo(1);
    assertThat(client.fullHandshakes()).isEqualTo(1);

    AgentCredential renewed = credential(0, 1);
    assertThat(get(renewed)).isEqualTo(expected(renewed)).isNotEqualTo(expected(first));
    assertThat(client.fullHandshakes()).isEqualTo(2);
    assertThat(client.resumedHandshakes()).isEqualTo(1);
    assertThat(client.connectionsOpened()).isEqualTo(3);
  }

  @Test
  void anIdleConnectionIsClosedByTheClientAndTheNextRequestResumes() throws Exception {
    start(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    client.close();
    client = new FleetClient(Duration.ofMillis(300));
    AgentCredential a = credential(0, 0);
    assertThat(get(a)).isEqualTo(expected(a));
    assertThat(client.openConnections()).isEqualTo(1);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (client.openConnections() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(client.openConnections()).isZero();
    assertThat(get(a)).isEqualTo(expected(a));
    assertThat(client.fullHandshakes()).isEqualTo(1);
    assertThat(client.resumedHandshakes()).isEqualTo(1);
  }

  @Test
  void aServerCertificateForAnotherHostIsRefused() throws Exception {
    start(new GeneralName(GeneralName.dNSName, "other.example"));
    AgentCredential a = credential(0, 0);

    assertThatThrownBy(() -> client.request(a, uri).send())
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(java.security.cert.CertificateException.class)
        .cause().isInstanceOf(SSLHandshakeException.class);
    assertThat(client.failedHandshakes()).isEqualTo(1);
  }

  private String get(AgentCredential credential) throws Exception {
    ContentResponse r = client.request(credential, uri).timeout(10, TimeUnit.SECONDS).send();
    assertThat(r.getStatus()).isEqualTo(200);
    return r.getContentAsString();
  }

  private static String expected(AgentCredential c) {
    return spiffe(c.agent()) + " " + c.chain().getFirst().getSerialNumber().toString(16);
  }

  private static String spiffe(int agent) {
    return "spiffe://rotor.local/agent/k8s/fleet-" + agent;
  }

  private AgentCredential credential(int agent, int generation) throws Exception {
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    X509Certificate cert = certificate(null, keys, caKeys,
        new GeneralName(GeneralName.uniformResourceIdentifier, spiffe(agent)), false);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("ca", ca);
    tmf.init(anchors);
    TrustManager[] trust = tmf.getTrustManagers();
    return AgentCredential.of(agent, generation, keys.getPrivate(), List.of(cert, ca), trust,
        client.fullHandshakeEngines());
  }

  private void start(GeneralName serverName) throws Exception {
    KeyPair serverKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate serverCert = certificate(null, serverKeys, caKeys, serverName, false);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", serverKeys.getPrivate(), "pw".toCharArray(),
        new X509Certificate[] {serverCert, ca});
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", ca);
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setKeyStore(ks);
    tls.setKeyStorePassword("pw");
    tls.setTrustStore(ts);
    tls.setWantClientAuth(true);
    tls.setSniRequired(false);

    server = new Server();
    HttpConfiguration config = new HttpConfiguration();
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    config.addCustomizer(secure);
    ServerConnector connector = new ServerConnector(server,
        new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        EndPoint.SslSessionData ssl =
            (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        String answer = "none";
        if (ssl != null && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
          X509Certificate peer = ssl.peerCertificates()[0];
          answer = peer.getSubjectAlternativeNames().iterator().next().get(1) + " "
              + peer.getSerialNumber().toString(16);
        }
        Content.Sink.write(response, true, answer, callback);
        return true;
      }
    });
    server.start();
    uri = URI.create("https://127.0.0.1:" + connector.getLocalPort() + "/");
    client = new FleetClient(Duration.ofMinutes(5));
  }

  private static X509Certificate certificate(String subject, KeyPair subjectKeys,
      KeyPair issuerKeys, GeneralName san, boolean isCa) {
    try {
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          new X500Name("CN=Test CA"), BigInteger.valueOf(SERIALS.getAndIncrement()),
          Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)),
          new X500Name(subject == null ? "" : subject), subjectKeys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      if (san != null) {
        b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(san));
      }
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

}
