package dev.rotor.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotor.agent.proxy.IdentitySource;
import dev.rotor.agent.proxy.PeerVerifier;
import dev.rotor.agent.proxy.Proxy;
import dev.rotor.agent.proxy.ProxyConfig;
import dev.rotor.agent.proxy.ProxyMetrics;
import dev.rotor.agent.proxy.RevocationFollower;
import dev.rotor.agent.proxy.RevocationSet;
import dev.rotor.agent.proxy.TlsIdentity;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The Rotor proxy in its own JVM for {@code rotor-load proxy}, as the agent runs it (same
 * package, same TLS provider set-up), with identities from PEM files the benchmark wrote:
 * {@code <dir>/proxy.yaml} (the proxy section), {@code <dir>/bundle.pem}, and {@code id-N.pem} +
 * {@code id-N.key} per identity; {@code agent.pem}/{@code agent.key} and {@code server} (URL) to
 * follow the revocation feed. Prints {@code READY} when listening, then serves until killed.
 */
public final class ProxyProcess {

  private ProxyProcess() {}

  public static void main(String[] args) throws Exception {
    CryptoProviders.installForTls();
    Path dir = Path.of(args[0]);
    List<X509Certificate> bundle = Pem.parseCertificates(Files.readString(dir.resolve("bundle.pem")));
    Map<String, TlsIdentity> ids = new HashMap<>();
    for (int i = 0; Files.exists(dir.resolve("id-" + i + ".pem")); i++) {
      List<X509Certificate> chain = Pem.parseCertificates(Files.readString(dir.resolve("id-" + i + ".pem")));
      ids.put(PeerVerifier.spiffeId(chain.get(0)), new TlsIdentity(PrivateKeys.parse(Files.readString(dir.resolve("id-" + i + ".key"))), chain));
    }
    IdentitySource source = new IdentitySource() {
      @Override
      public Optional<TlsIdentity> identity(String spiffeId) {
        return Optional.ofNullable(ids.get(spiffeId));
      }

      @Override
      public List<X509Certificate> bundle() {
        return bundle;
      }
    };
    Object section = new ObjectMapper(new YAMLFactory()).readValue(dir.resolve("proxy.yaml").toFile(), Object.class);
    RevocationSet revoked = new RevocationSet();
    if (Files.exists(dir.resolve("agent.pem"))) {
      HttpClient agent = mtls(PrivateKeys.parse(Files.readString(dir.resolve("agent.key"))),
          Pem.parseCertificates(Files.readString(dir.resolve("agent.pem"))), bundle);
      new RevocationFollower(URI.create(Files.readString(dir.resolve("server")).trim()), () -> agent, revoked).start();
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (revoked.version().isEmpty() && System.nanoTime() < until) {
        Thread.sleep(50);
      }
    }
    Proxy proxy = new Proxy(ProxyConfig.parse(section), source, revoked, new ProxyMetrics(new SimpleMeterRegistry()), Clock.systemUTC())
        .start();
    Runtime.getRuntime().addShutdownHook(new Thread(proxy::close));
    System.out.println("READY");
    System.out.flush();
    Thread.currentThread().join();
  }

  private static HttpClient mtls(java.security.PrivateKey key, List<X509Certificate> chain, List<X509Certificate> bundle) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("agent", key, "pw".toCharArray(), chain.toArray(new X509Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "pw".toCharArray());
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    for (int i = 0; i < bundle.size(); i++) {
      ts.setCertificateEntry("ca" + i, bundle.get(i));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1).build();
  }
}
