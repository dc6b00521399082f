package dev.rotor.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.PrivateKey;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A real Rotor server (embedded PostgreSQL, HTTPS on a free port) and a client that trusts its CA. */
public final class TestServer implements AutoCloseable {

  public static final String ADMIN_TOKEN = "rotor_test-admin-token-0123456789abcdef";
  public static final ObjectMapper JSON = new ObjectMapper();

  private final Path dataDir;
  private final Map<String, Object> settings;
  private final KubernetesClient kubernetes;
  private RotorServer server;
  private HttpClient client;

  private TestServer(Path dataDir, Map<String, Object> settings, KubernetesClient kubernetes) {
    this.dataDir = dataDir;
    this.settings = settings;
    this.kubernetes = kubernetes;
  }

  /** Starts a server in a new data directory; {@code overrides} are config keys (e.g. "profiles"). */
  public static TestServer start(Map<String, Object> overrides) throws Exception {
    return start(overrides, null);
  }

  /** As {@link #start(Map)}, with a Kubernetes client (fabric8's mock server) for the agent API. */
  public static TestServer start(Map<String, Object> overrides, KubernetesClient kubernetes) throws Exception {
    Path dir = Files.createTempDirectory("rotor-it-");
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("ROTOR_DATA_DIR", dir.toString());
    s.put("ROTOR_HTTPS_PORT", 0);
    s.put("ROTOR_HTTP_PORT", 0);
    s.put("ROTOR_BIND", "127.0.0.1");
    s.put("ROTOR_ADMIN_TOKEN", ADMIN_TOKEN);
    s.put("ROTOR_KUBERNETES", "off");
    s.putAll(overrides);
    TestServer t = new TestServer(dir, s, kubernetes);
    t.startAgain();
    return t;
  }

  public static TestServer start() throws Exception {
    return start(Map.of());
  }

  /** (Re)starts the server on the same data directory. */
  public void startAgain() throws Exception {
    server = RotorServer.start(ServerConfig.fromMap(settings), kubernetes);
    client = HttpClient.newBuilder()
        .sslContext(sslContext(bundle()))
        .connectTimeout(Duration.ofSeconds(5))
        .version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  public void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  public RotorServer server() {
    return server;
  }

  public Path dataDir() {
    return dataDir;
  }

  public URI https(String path) {
    return URI.create("https://localhost:" + server.httpsPort() + path);
  }

  public URI http(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  public HttpClient client() {
    return client;
  }

  /** The trust bundle, fetched over plain HTTP. */
  public List<X509Certificate> bundle() throws Exception {
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(http("/ca/bundle.pem")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("bundle: " + r.statusCode());
    }
    Collection<? extends java.security.cert.Certificate> certs =
        CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(r.body()));
    return certs.stream().map(c -> (X509Certificate) c).toList();
  }

  /** An HTTP client that trusts the CA and presents {@code chainPem} (leaf first) with {@code key} as its client certificate. */
  public HttpClient mtlsClient(PrivateKey key, String chainPem) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", key, "pw".toCharArray(), Pem.parseCertificates(chainPem).toArray(new X509Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "pw".toCharArray());
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    int i = 0;
    for (X509Certificate c : bundle()) {
      ts.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** A request without a body through {@code http} (for example an mTLS client). */
  public Reply send(HttpClient http, String method, String path) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(https(path)).timeout(Duration.ofSeconds(60)).method(method, HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
    return new Reply(resp.statusCode(), resp.headers().firstValue("Content-Type").orElse(""), resp.body(), resp);
  }

  /** A POST of JSON through {@code http} (for example an mTLS client). */
  public Reply post(HttpClient http, String path, Object json) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(https(path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json))).build();
    HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
    return new Reply(resp.statusCode(), resp.headers().firstValue("Content-Type").orElse(""), resp.body(), resp);
  }

  public static SSLContext sslContext(List<X509Certificate> anchors) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    int i = 0;
    for (X509Certificate c : anchors) {
      ks.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A JSON response. */
  public record Reply(int status, String contentType, String body, HttpResponse<String> raw) {
    public JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  public Reply send(String method, String path, String token, String contentType, String body) throws Exception {
    return send(method, path, token, contentType, body, Map.of());
  }

  public Reply send(String method, String path, String token, String contentType, String body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(https(path)).timeout(Duration.ofSeconds(30));
    headers.forEach(b::header);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r);
  }

  public Reply get(String path, String token) throws Exception {
    return send("GET", path, token, null, null);
  }

  public Reply post(String path, String token, Object json) throws Exception {
    return send("POST", path, token, "application/json", JSON.writeValueAsString(json));
  }

  /** Issues a workload certificate for {@code spiffeId} through the REST API. */
  public Reply issue(String token, String csrPem, String profile, Integer ttl) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", csrPem);
    body.put("profile", profile);
    if (ttl != null) {
      body.put("ttlSeconds", ttl);
    }
    return post("/api/v1/certificates", token, body);
  }

  /** Creates a token with a role and returns it. */
  public String token(String name, String role) throws Exception {
    Reply r = post("/api/v1/tokens", ADMIN_TOKEN, Map.of("name", name, "role", role));
    if (r.status() != 201) {
      throw new IllegalStateException("token: " + r.status() + " " + r.body());
    }
    return r.json().get("token").asText();
  }

  /** A direct SQL connection to the server's database (for checking what was stored). */
  public Connection sql() throws SQLException {
    return server.database().connection();
  }

  public long count(String sql) throws SQLException {
    try (Connection c = sql(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public static X509Certificate parse(String pem) throws Exception {
    return Pem.parseCertificates(pem).get(0);
  }

  @Override
  public void close() throws IOException {
    stop();
    try (var files = Files.walk(dataDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

}
