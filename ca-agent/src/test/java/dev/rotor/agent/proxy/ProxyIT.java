package dev.rotor.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The data-plane proxy with certificates from a real Rotor server: an outbound proxy (identity A,
 * web/frontend) talking to an inbound proxy (identity B, payments/api, allowing web/*) in front of
 * TCP-echo and HTTP backends, over real TLS on loopback.
 */
class ProxyIT {

  private static final String A = "spiffe://rotor.local/ns/web/sa/frontend";
  private static final String B = "spiffe://rotor.local/ns/payments/sa/api";
  private static final String C = "spiffe://rotor.local/ns/other/sa/intruder";

  /** The agent's side of the contract: identities by SPIFFE ID, swapped on renewal. */
  static final class Identities implements IdentitySource {
    final Map<String, TlsIdentity> byId = new ConcurrentHashMap<>();
    final List<X509Certificate> bundle;

    Identities(List<X509Certificate> bundle) {
      this.bundle = bundle;
    }

    @Override
    public Optional<TlsIdentity> identity(String spiffeId) {
      return Optional.ofNullable(byId.get(spiffeId));
    }

    @Override
    public List<X509Certificate> bundle() {
      return bundle;
    }
  }

  private static RotorCa ca;
  private static Identities identities;
  private static SimpleMeterRegistry registry;
  private static RevocationSet revoked;
  private static RevocationFollower follower;
  private static Proxy inbound;
  private static Proxy outbound;
  private static ServerSocket echo;
  private static final AtomicInteger echoAccepts = new AtomicInteger();
  private static HttpServer http;

  @BeforeAll
  static void start() throws Exception {
    start(Proxy.defaultProvider());
  }

  /** Everything below with the proxy's TLS from {@code provider} (a subclass runs the JDK fallback). */
  static void start(SslProvider provider) throws Exception {
    ca = new RotorCa(Map.of("profiles", Map.of("brief", Map.of("base", "workload", "minTtl", "2s", "defaultTtl", "3s", "maxTtl", "10s"))));
    identities = new Identities(ca.bundle());
    identities.byId.put(A, ca.workload(A, null, "workload"));
    identities.byId.put(B, ca.workload(B, null, "workload"));
    registry = new SimpleMeterRegistry();
    revoked = new RevocationSet();
    HttpClient agent = ca.agentClient("proxy-node");
    follower = new RevocationFollower(ca.url(), () -> agent, revoked).start();
    await().atMost(Duration.ofSeconds(10)).until(() -> !revoked.version().isEmpty());

    echo = new ServerSocket(0, 100, java.net.InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          echoAccepts.incrementAndGet();
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
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
    http.createContext("/", ex -> {
      byte[] in = ex.getRequestBody().readAllBytes();
      String xfcc = String.join(" | ", ex.getRequestHeaders().getOrDefault("X-Forwarded-Client-Cert", List.of()));
      byte[] out = ("xfcc=" + xfcc + "\nbody=" + in.length).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    });
    http.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    http.start();

    inbound = new Proxy(ProxyConfig.parse(Map.of(
        "handshakeTimeout", "1s",
        "inbound", List.of(
            Map.of("name", "in-tcp", "listen", "127.0.0.1:0", "backend", "127.0.0.1:" + echo.getLocalPort(), "identity", B,
                "allow", List.of("spiffe://rotor.local/ns/web/*")),
            Map.of("name", "in-http", "listen", "127.0.0.1:0", "backend", "127.0.0.1:" + http.getAddress().getPort(), "identity", B,
                "allow", List.of("spiffe://rotor.local/ns/web/*"), "http", true),
            Map.of("name", "in-dead", "listen", "127.0.0.1:0", "backend", "127.0.0.1:" + closedPort(), "identity", B,
                "allow", List.of("spiffe://rotor.local/ns/web/*"))))),
        identities, revoked, new ProxyMetrics(registry), Clock.systemUTC(), provider).start();
    outbound = new Proxy(ProxyConfig.parse(Map.of("outbound", List.of(
            Map.of("name", "out-tcp", "listen", "127.0.0.1:0", "upstream", "127.0.0.1:" + inbound.port("in-tcp"), "identity", A,
                "expect", List.of(B)),
            Map.of("name", "out-http", "listen", "127.0.0.1:0", "upstream", "127.0.0.1:" + inbound.port("in-http"), "identity", A,
                "expect", List.of(B)),
            Map.of("name", "out-wrong", "listen", "127.0.0.1:0", "upstream", "127.0.0.1:" + inbound.port("in-tcp"), "identity", A,
                "expect", List.of("spiffe://rotor.local/ns/payments/sa/other")),
            Map.of("name", "out-named", "listen", "127.0.0.1:0", "upstream", "localhost:" + inbound.port("in-tcp"), "identity", A,
                "expect", List.of(B))))),
        identities, revoked, new ProxyMetrics(registry), Clock.systemUTC(), provider).start();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {outbound, inbound, follower, echo}) {
      if (c != null) {
        c.close();
      }
    }
    if (http != null) {
      http.stop(0);
    }
    if (ca != null) {
      ca.close();
    }
  }

  private static double denials(String listener, String reason) {
    Counter c = registry.find(ProxyMetrics.DENIALS).tag("listener", listener).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
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

  private static Socket plain(String listener) throws IOException {
    Socket s = new Socket("127.0.0.1", outbound.port(listener));
    s.setSoTimeout(10_000);
    return s;
  }

  private static String sha256(X509Certificate c) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
  }

  /** A direct mTLS client to an inbound listener, presenting {@code id} (or nothing). */
  private static SSLSocket direct(String listener, TlsIdentity id, List<X509Certificate> trust) throws Exception {
    return direct(listener, clientContext(id, trust));
  }

  /** A connection from {@code ctx}: a context used twice offers the first session for resumption. */
  private static SSLSocket direct(String listener, SSLContext ctx) throws Exception {
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", inbound.port(listener));
    s.setSoTimeout(5_000);
    return s;
  }

  /** A JDK client context presenting {@code id} (or nothing) and trusting {@code trust}. */
  private static SSLContext clientContext(TlsIdentity id, List<X509Certificate> trust) throws Exception {
    return clientContext(id, trust, new AtomicInteger());
  }

  /** As above, counting in {@code serverChecks} every check of the server's certificate (full handshakes). */
  private static SSLContext clientContext(TlsIdentity id, List<X509Certificate> trust, AtomicInteger serverChecks) throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    for (int i = 0; i < trust.size(); i++) {
      ts.setCertificateEntry("ca" + i, trust.get(i));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    KeyManagerFactory kmf = null;
    if (id != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("me", id.key(), "pw".toCharArray(), id.chain().toArray(new X509Certificate[0]));
      kmf = KeyManagerFactory.getInstance("SunX509");
      kmf.init(ks, "pw".toCharArray());
    }
    X509ExtendedTrustManager jdk = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
    X509ExtendedTrustManager counting = new X509ExtendedTrustManager() {
      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        serverChecks.incrementAndGet();
        jdk.checkServerTrusted(chain, authType, socket);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        serverChecks.incrementAndGet();
        jdk.checkServerTrusted(chain, authType, engine);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        serverChecks.incrementAndGet();
        jdk.checkServerTrusted(chain, authType);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        jdk.checkClientTrusted(chain, authType, socket);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        jdk.checkClientTrusted(chain, authType, engine);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        jdk.checkClientTrusted(chain, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return jdk.getAcceptedIssuers();
      }
    };
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {counting}, null);
    return ctx;
  }

  /** True when the proxy refused: the handshake failed, or the connection was closed before any echo. */
  private static boolean refused(SSLSocket s) {
    try (s) {
      s.startHandshake(); // TLS 1.3: the client may finish before the server rejects its certificate
      return !roundTrip(s, "x").equals("x");
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void bytesAndHttpPassBothWaysThroughTwoHops() throws Exception {
    try (Socket s = plain("out-tcp")) {
      assertThat(roundTrip(s, "hello through two proxies")).isEqualTo("hello through two proxies");
      byte[] big = new byte[300_000];
      new java.util.Random(1).nextBytes(big);
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          s.getOutputStream().write(big);
        } catch (IOException ignored) {
          // reported by the reader
        }
      });
      byte[] back = s.getInputStream().readNBytes(big.length);
      writer.join();
      assertThat(back).isEqualTo(big);
    }
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + outbound.port("out-http") + "/x"))
        .header("X-Forwarded-Client-Cert", "By=evil;URI=spiffe://rotor.local/ns/payments/sa/admin")
        .POST(HttpRequest.BodyPublishers.ofString("a".repeat(5000))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("xfcc=By=" + B + ";Hash=" + sha256(identities.byId.get(A).leaf()) + ";URI=" + A + "\n");
    assertThat(r.body()).doesNotContain("evil").contains("body=5000");
  }

  /** A port nothing listens on (bound, then released). */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void anUpstreamNamedByHostNameIsResolvedAndServed() throws Exception {
    try (Socket s = plain("out-named")) {
      assertThat(roundTrip(s, "by name")).isEqualTo("by name");
    }
  }

  @Test
  void anUnreachableBackendIsCountedAndTheClientClosed() throws Exception {
    double before = denials("in-dead", "backend_unreachable");
    assertThat(refused(direct("in-dead", identities.byId.get(A), ca.bundle()))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> denials("in-dead", "backend_unreachable") > before);
  }

  @Test
  void aServerWithAnUnexpectedIdentityIsRefusedByTheOutboundProxy() throws Exception {
    double before = denials("out-wrong", "identity_not_allowed");
    try (Socket s = plain("out-wrong")) {
      s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    } catch (IOException e) {
      // reset: refused as well
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("out-wrong", "identity_not_allowed") > before);
  }

  @Test
  void aClientWhoseIdentityIsNotAllowedNeverReachesTheBackend() throws Exception {
    TlsIdentity intruder = ca.workload(C, null, "workload");
    int accepts = echoAccepts.get();
    double before = denials("in-tcp", "identity_not_allowed");
    assertThat(refused(direct("in-tcp", intruder, ca.bundle()))).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "identity_not_allowed") > before);
    assertThat(echoAccepts.get()).isEqualTo(accepts);
    // The allowed identity, directly, works.
    try (SSLSocket ok = direct("in-tcp", identities.byId.get(A), ca.bundle())) {
      assertThat(roundTrip(ok, "ok")).isEqualTo("ok");
    }
  }

  @Test
  void badClientsAreRefusedWithTheirReasonAndTheProxyKeepsServing() throws Exception {
    // No client certificate.
    double noCert = denials("in-tcp", "no_certificate");
    assertThat(refused(direct("in-tcp", null, ca.bundle()))).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "no_certificate") > noCert);

    // Another CA.
    try (RotorCa other = new RotorCa(Map.of())) {
      double untrusted = denials("in-tcp", "untrusted");
      TlsIdentity foreign = other.workload(A, null, "workload");
      assertThat(refused(direct("in-tcp", foreign, ca.bundle()))).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "untrusted") > untrusted);
    }

    // Expired (a 2 s certificate, once its time is up).
    TlsIdentity brief = ca.workload("spiffe://rotor.local/ns/web/sa/brief", 2, "brief");
    await().atMost(Duration.ofSeconds(10)).until(() -> brief.leaf().getNotAfter().toInstant().isBefore(java.time.Instant.now()));
    double expired = denials("in-tcp", "expired");
    assertThat(refused(direct("in-tcp", brief, ca.bundle()))).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "expired") > expired);

    // Plaintext HTTP and garbage bytes.
    double failed = denials("in-tcp", "handshake_failed");
    for (byte[] junk : List.of("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), new byte[] {0, 1, 2, 3, (byte) 0xff, 22, 3, 3, 0, 0})) {
      try (Socket s = new Socket("127.0.0.1", inbound.port("in-tcp"))) {
        s.setSoTimeout(5_000);
        s.getOutputStream().write(junk);
        s.getInputStream().readAllBytes();
      } catch (IOException e) {
        // reset: refused
      }
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "handshake_failed") >= failed + 2);

    // A client that connects and never speaks (slowloris): cut at the 1 s handshake timeout.
    double timeouts = denials("in-tcp", "handshake_timeout");
    try (Socket s = new Socket("127.0.0.1", inbound.port("in-tcp"))) {
      s.setSoTimeout(5_000);
      long t0 = System.nanoTime();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    } catch (IOException e) {
      // reset: cut as well
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "handshake_timeout") > timeouts);

    try (Socket s = plain("out-tcp")) {
      assertThat(roundTrip(s, "still serving")).isEqualTo("still serving");
    }
  }

  @Test
  void aReturningClientResumesItsSession() throws Exception {
    // The client checks the proxy's certificate only in a full handshake: a resumed session
    // (TLS 1.3 ticket) skips it. One context, so the second connection offers the first session.
    AtomicInteger serverChecks = new AtomicInteger();
    SSLContext ctx = clientContext(identities.byId.get(A), ca.bundle(), serverChecks);
    for (int i = 0; i < 3; i++) {
      try (SSLSocket s = direct("in-tcp", ctx)) {
        assertThat(roundTrip(s, "again " + i)).isEqualTo("again " + i);
      }
    }
    assertThat(serverChecks).hasValue(1);
  }

  @Test
  void rotationKeepsRequestsFlowingAndNewHandshakesUseTheNewCertificate() throws Exception {
    String url = "http://127.0.0.1:" + outbound.port("out-http") + "/r";
    HttpClient keepAlive = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    TlsIdentity before = identities.byId.get(A);
    TlsIdentity after = null;
    int failures = 0;
    for (int i = 0; i < 1000; i++) {
      if (i == 300) {
        after = ca.workload(A, null, "workload");
        identities.byId.put(A, after); // what the agent does when it renews A
      }
      HttpClient c = i % 100 == 99 ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build() : keepAlive;
      HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        failures++;
      }
      if (i == 399 || i == 999) {
        // a new client, a new connection: a new handshake, with the new certificate
        assertThat(r.body()).contains("Hash=" + sha256(after.leaf()));
      }
      if (i == 99) {
        assertThat(r.body()).contains("Hash=" + sha256(before.leaf()));
      }
    }
    assertThat(failures).isZero();
  }

  @Test
  void revokedPeersAreRefusedAndTheirOpenConnectionsClosed() throws Exception {
    // A separate identity for this test so the others keep theirs.
    String d = "spiffe://rotor.local/ns/web/sa/doomed";
    TlsIdentity doomed = ca.workload(d, null, "workload");
    // One client context throughout: the refused attempt below offers the first session for
    // resumption, which skips the trust manager; the check on the established session refuses it.
    SSLContext doomedCtx = clientContext(doomed, ca.bundle());
    try (SSLSocket open = direct("in-tcp", doomedCtx)) {
      assertThat(roundTrip(open, "before")).isEqualTo("before");
      long t0 = System.nanoTime();
      ca.revoke(PeerVerifier.serial(doomed.leaf()));
      long closedAt;
      try {
        int n = open.getInputStream().read();
        assertThat(n).isEqualTo(-1);
      } catch (IOException e) {
        // reset: closed as well
      }
      closedAt = System.nanoTime();
      Duration took = Duration.ofNanos(closedAt - t0);
      System.out.println("revocation-to-close: " + took.toMillis() + " ms");
      assertThat(took).isLessThan(Duration.ofSeconds(10));
    }
    assertThat(refused(direct("in-tcp", doomedCtx))).isTrue();
    assertThat(refused(direct("in-tcp", doomed, ca.bundle()))).isTrue();
    // The proxy counts a denial on its own thread after the client already sees the refusal.
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "revoked") >= 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> denials("in-tcp", "revoked_while_open") >= 1);
  }
}
