package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.agent.sink.SecretSink;
import dev.rotor.pki.Pem;
import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the integration tests run against: fabric8's Kubernetes mock server (CRUD mode, mixed
 * with expectations), a real Rotor server in-process (embedded PostgreSQL, loopback ports) that
 * uses the mock as its Kubernetes API, and any number of real agents started through
 * {@link RotorAgent#start}. Everything is closed and deleted by {@link #close()}.
 */
final class Cluster implements AutoCloseable {

  static final String ADMIN_TOKEN = "rotor_agent-it-admin-token-0123456789abcdef";
  static final String TD = "rotor.local";
  static final ObjectMapper JSON = new ObjectMapper();

  /** Held so the JUL configuration is not garbage-collected: the mock logs every request at INFO. */
  private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver");

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }

  /** ServiceAccount tokens the fake TokenReview accepts: token → review status. */
  private static final Map<String, Map<String, Object>> REVIEWS = new java.util.concurrent.ConcurrentHashMap<>();

  final KubernetesMockServer kube;
  final KubernetesClient client;
  final Path tmp;
  private final Map<String, Object> settings;
  private final List<RotorAgent> agents = new ArrayList<>();
  private RotorServer server;
  private HttpClient http;
  private Path bundleFile;

  private Cluster(KubernetesMockServer kube, KubernetesClient client, Path tmp, Map<String, Object> settings) {
    this.kube = kube;
    this.client = client;
    this.tmp = tmp;
    this.settings = settings;
  }

  /**
   * Starts the mock API server and a Rotor server.
   *
   * @param overrides server configuration keys (profiles, ROTOR_STATIC_POLICY, ...)
   * @param fixedPorts true to bind chosen free ports (so a restart comes back on the same ones)
   */
  static Cluster start(Map<String, Object> overrides, boolean fixedPorts) throws Exception {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer kube =
        new KubernetesMockServer(new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
    kube.init();
    // TokenReview as the API server answers it, for the tokens a test allowed (the rest: not authenticated).
    kube.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(201, req -> {
      io.fabric8.kubernetes.api.model.authentication.TokenReview in = io.fabric8.kubernetes.client.utils.Serialization
          .unmarshal(req.getBody().readUtf8(), io.fabric8.kubernetes.api.model.authentication.TokenReview.class);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("apiVersion", "authentication.k8s.io/v1");
      out.put("kind", "TokenReview");
      out.put("spec", Map.of("token", in.getSpec().getToken()));
      out.put("status", REVIEWS.getOrDefault(in.getSpec().getToken(), Map.of("authenticated", false, "error", "invalid bearer token")));
      return out;
    }).always();
    KubernetesClient client = kube.createClient();
    Path tmp = Files.createTempDirectory("rotor-agent-it-");
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("ROTOR_DATA_DIR", tmp.resolve("server").toString());
    s.put("ROTOR_HTTPS_PORT", fixedPorts ? freePort() : 0);
    s.put("ROTOR_HTTP_PORT", fixedPorts ? freePort() : 0);
    s.put("ROTOR_BIND", "127.0.0.1");
    s.put("ROTOR_ADMIN_TOKEN", ADMIN_TOKEN);
    s.put("ROTOR_KUBERNETES", "off");
    s.putAll(overrides);
    Cluster c = new Cluster(kube, client, tmp, s);
    c.startServer();
    return c;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** (Re)starts the server on the same data directory and settings. */
  void startServer() throws Exception {
    server = RotorServer.start(ServerConfig.fromMap(settings), client);
    String bundle = bundlePem();
    bundleFile = tmp.resolve("ca-bundle.pem");
    Files.writeString(bundleFile, bundle);
    http = HttpClient.newBuilder().sslContext(trusting(Pem.parseCertificates(bundle))).connectTimeout(Duration.ofSeconds(5))
        .version(HttpClient.Version.HTTP_1_1).build();
  }

  /** Stops the server (the CA goes away; agents keep running). */
  void stopServer() {
    if (server != null) {
      server.close();
      server = null;
    }
    if (http != null) {
      http.close();
    }
  }

  int serverHttpPort() {
    return server.httpPort();
  }

  int serverHttpsPort() {
    return server.httpsPort();
  }

  URI https(String path) {
    return URI.create("https://localhost:" + server.httpsPort() + path);
  }

  String bundlePem() throws Exception {
    try (HttpClient plain = HttpClient.newHttpClient()) {
      HttpResponse<String> r = plain.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/ca/bundle.pem")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body();
    }
  }

  List<X509Certificate> bundle() throws Exception {
    return Pem.parseCertificates(bundlePem());
  }

  JsonNode api(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(https(path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + ADMIN_TOKEN);
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
    return JSON.readTree(r.body());
  }

  String joinToken(String node) throws Exception {
    return api("POST", "/api/v1/join-tokens", Map.of("node", node, "ttlSeconds", 600)).get("token").asText();
  }

  /** Every certificate the server issued whose names contain {@code text}, with its requester. */
  List<JsonNode> issued(String text) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    String cursor = null;
    do {
      String q = "/api/v1/certificates?limit=100&q=" + URLEncoder.encode(text, StandardCharsets.UTF_8)
          + (cursor == null ? "" : "&cursor=" + cursor);
      JsonNode page = api("GET", q, null);
      for (JsonNode item : page.get("items")) {
        out.add(api("GET", "/api/v1/certificates/" + item.get("serial").asText(), null));
      }
      cursor = page.path("next").isTextual() ? page.get("next").asText() : null;
    } while (cursor != null);
    return out;
  }

  /** The agent configuration keys for a join-token agent on {@code node}; the caller may add or replace keys. */
  Map<String, Object> agentSettings(String node, Path dataDir, String joinToken) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ROTOR_AGENT_SERVER", "https://localhost:" + server.httpsPort());
    m.put("ROTOR_AGENT_CA_BUNDLE", bundleFile.toString());
    m.put("ROTOR_AGENT_NODE", node);
    m.put("ROTOR_AGENT_JOIN_TOKEN", joinToken);
    m.put("ROTOR_AGENT_DATA_DIR", dataDir.toString());
    m.put("ROTOR_AGENT_METRICS_PORT", "0");
    m.put("ROTOR_AGENT_BIND", "127.0.0.1");
    m.put("ROTOR_AGENT_KUBERNETES", "off");
    m.put("ROTOR_AGENT_RETRY_INITIAL_DELAY", "200ms");
    m.put("ROTOR_AGENT_RETRY_MAX_DELAY", "2s");
    m.put("ROTOR_AGENT_REQUEST_TIMEOUT", "5s");
    return m;
  }

  /**
   * Makes the fake TokenReview accept {@code token} as the projected token (audience rotor) of the
   * agent ServiceAccount rotor-system/rotor-agent running on {@code node}.
   */
  static void acceptServiceAccountToken(String token, String node) {
    REVIEWS.put(token, Map.of(
        "authenticated", true,
        "audiences", List.of("rotor"),
        "user", Map.of("username", "system:serviceaccount:rotor-system:rotor-agent", "uid", "uid-" + token,
            "extra", Map.of("authentication.kubernetes.io/node-name", List.of(node)))));
  }

  /** The fake TokenReview no longer accepts {@code token} (expired). */
  static void expireServiceAccountToken(String token) {
    REVIEWS.remove(token);
  }

  /** Starts an agent that manages Secrets through the mock's client. */
  RotorAgent agent(Map<String, Object> settings) throws Exception {
    // The mock cannot evaluate the spec.nodeName field selector (see SecretSink#start).
    RotorAgent a = RotorAgent.start(AgentConfig.fromMap(settings, Map.of()), client, false);
    agents.add(a);
    return a;
  }

  /** Starts a new join-token agent on {@code node} with a fresh data directory and waits until it is attested. */
  RotorAgent agent(String node) throws Exception {
    RotorAgent a = agent(agentSettings(node, Files.createTempDirectory(tmp, "agent-" + node + "-"), joinToken(node)));
    assertThat(a.awaitAttested(Duration.ofSeconds(20))).as("agent on " + node + " attested").isTrue();
    return a;
  }

  void stop(RotorAgent a) {
    a.close();
    agents.remove(a);
  }

  void pod(String ns, String name, String sa, String node) {
    client.pods().inNamespace(ns).resource(new PodBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withNodeName(node).withServiceAccountName(sa).addNewContainer().withName("app").withImage("app").endContainer().endSpec()
        .withNewStatus().withPhase("Running").endStatus()
        .build()).create();
  }

  Secret secret(String ns, String name, Map<String, String> annotations) {
    return client.secrets().inNamespace(ns).resource(new SecretBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).withAnnotations(annotations).endMetadata()
        .build()).create();
  }

  Secret get(String ns, String name) {
    return client.secrets().inNamespace(ns).withName(name).get();
  }

  /** Every version of one Secret as the API server announced it, with the moment it was seen. */
  record Version(java.time.Instant seen, Secret secret) {
    String serial() {
      return secret.getMetadata().getAnnotations() == null ? null : secret.getMetadata().getAnnotations().get(SecretSink.SERIAL);
    }
  }

  /** Records every version of the Secret (a watch, so no write between two polls is missed) until closed. */
  final class Versions implements AutoCloseable {
    private final List<Version> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final io.fabric8.kubernetes.client.Watch watch;

    Versions(String ns, String name) {
      watch = client.secrets().inNamespace(ns).withName(name).watch(new io.fabric8.kubernetes.client.Watcher<>() {
        @Override
        public void eventReceived(Action action, Secret resource) {
          seen.add(new Version(java.time.Instant.now(), resource));
        }

        @Override
        public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
      });
    }

    List<Version> all() {
      return List.copyOf(seen);
    }

    /** The versions that brought a new certificate, in order. */
    List<Version> landed() {
      List<Version> out = new ArrayList<>();
      for (Version v : seen) {
        if (v.serial() != null && (out.isEmpty() || !out.get(out.size() - 1).serial().equals(v.serial()))) {
          out.add(v);
        }
      }
      return out;
    }

    @Override
    public void close() {
      watch.close();
    }
  }

  Versions watch(String ns, String name) {
    return new Versions(ns, name);
  }

  static Map<String, String> identity(String ns, String sa) {
    return Map.of(SecretSink.IDENTITY, "spiffe://" + TD + "/ns/" + ns + "/sa/" + sa);
  }

  static String data(Secret s, String key) {
    String v = s.getData() == null ? null : s.getData().get(key);
    return v == null ? null : new String(Base64.getDecoder().decode(v), StandardCharsets.US_ASCII);
  }

  /** The agent's /metrics text. */
  static String metrics(RotorAgent a) throws Exception {
    return scrape(a, "/metrics").body();
  }

  static HttpResponse<String> scrape(RotorAgent a, String path) throws Exception {
    try (HttpClient plain = HttpClient.newHttpClient()) {
      return plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.metricsPort() + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /** The value of a Prometheus sample whose line starts with {@code prefix} (name and labels), or 0. */
  static double sample(String metrics, String name, String... labels) {
    return metrics.lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .filter(l -> Stream.of(labels).allMatch(l::contains))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static SSLContext trusting(List<X509Certificate> anchors) throws Exception {
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

  @Override
  public void close() throws IOException {
    for (RotorAgent a : List.copyOf(agents)) {
      a.close();
    }
    agents.clear();
    stopServer();
    client.close();
    kube.destroy();
    try (Stream<Path> files = Files.walk(tmp)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
