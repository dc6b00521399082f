package dev.rotor.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.rotor.agent.AgentConfig;
import dev.rotor.agent.RotorAgent;
import dev.rotor.pki.Pem;
import dev.rotor.pki.TrustStores;
import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code ./rotor demo}: the whole flow on one machine. A CA server with its embedded database;
 * agents on {@code node-a} and {@code node-b} (join tokens, file sinks); an HTTP backend behind
 * node-b's inbound proxy; node-a's outbound proxy in front of it. Then, step by step: workload A
 * calls B over mTLS and the backend sees A's SPIFFE ID; the certificates rotate under traffic;
 * A's certificate is revoked and the next request is refused. Ctrl-C stops everything.
 */
public final class RotorDemo implements AutoCloseable {

  static final String WEB = "spiffe://rotor.local/ns/web/sa/frontend";
  static final String API = "spiffe://rotor.local/ns/payments/sa/api";
  private static final String MARKER = ".rotor-demo";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the demo is run with. */
  public record Options(Path dir, int httpsPort, int httpPort, Duration workloadTtl) {
    static Options defaults() {
      return new Options(Path.of("demo-data"), 8443, 8080, Duration.ofSeconds(40));
    }
  }

  /** What each step showed, for the end-to-end test. */
  public record Report(String firstResponse, String callerSeen, String firstSerial, String rotatedSerial,
      int requestsDuringRotation, int failedDuringRotation, String hashBefore, String hashAfter,
      Duration revocationToRefusal, String refusal, String uiUrl, String adminToken) {}

  private final Options options;
  private final PrintStream out;
  private final List<AutoCloseable> started = new ArrayList<>();
  private RotorServer server;
  private HttpClient admin;
  private String adminToken;

  public RotorDemo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.defaults();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--dir" -> { o = new Options(Path.of(v), o.httpsPort(), o.httpPort(), o.workloadTtl()); i++; }
        case "--https-port" -> { o = new Options(o.dir(), Integer.parseInt(v), o.httpPort(), o.workloadTtl()); i++; }
        case "--http-port" -> { o = new Options(o.dir(), o.httpsPort(), Integer.parseInt(v), o.workloadTtl()); i++; }
        case "--ttl" -> { o = new Options(o.dir(), o.httpsPort(), o.httpPort(), Duration.ofSeconds(Long.parseLong(v.replace("s", "")))); i++; }
        default -> {
          System.err.println("usage: rotor demo [--dir demo-data] [--https-port 8443] [--http-port 8080] [--ttl 40s]");
          System.exit(2);
        }
      }
    }
    prepare(o.dir());
    System.setProperty("rotor.demo.log", o.dir().resolve("rotor-demo.log").toString());
    System.setProperty("logback.configurationFile", "rotor-demo-logback.xml");
    RotorDemo demo = new RotorDemo(o, System.out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nStopping the agents, the proxies, the backend and the server…");
      demo.close();
      stopped.countDown();
    }, "rotor-demo-stop"));
    try {
      demo.run();
    } catch (Exception e) {
      System.err.println("demo failed: " + e + " (details in " + o.dir().resolve("rotor-demo.log") + ")");
      System.exit(1);
    }
    System.out.println("\nEverything keeps running (certificates keep rotating). Press Ctrl-C to stop.");
    stopped.await();
  }

  /** Empties the demo's own directory (one it made before, marked), or creates it. */
  static void prepare(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      boolean empty;
      try (Stream<Path> s = Files.list(dir)) {
        empty = s.findAny().isEmpty();
      }
      if (!empty && !Files.exists(dir.resolve(MARKER))) {
        throw new IllegalArgumentException(dir + " is not empty and was not made by the demo; choose another --dir");
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          if (!p.equals(dir)) {
            Files.delete(p);
          }
        }
      }
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(MARKER), "made by ./rotor demo; emptied by its next run\n");
  }

  public Report run() throws Exception {
    Path dir = options.dir().toAbsolutePath();
    Files.createDirectories(dir);
    long ttl = options.workloadTtl().toSeconds();

    step(1, "Start the CA server (embedded PostgreSQL in " + dir.resolve("server") + ")");
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "nodes:\n  node-a: [\"spiffe://rotor.local/ns/web/*\"]\n  node-b: [\"spiffe://rotor.local/ns/payments/*\"]\n");
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("ROTOR_DATA_DIR", dir.resolve("server").toString());
    settings.put("ROTOR_HTTPS_PORT", portOrAny(options.httpsPort()));
    settings.put("ROTOR_HTTP_PORT", portOrAny(options.httpPort()));
    settings.put("ROTOR_BIND", "127.0.0.1");
    settings.put("ROTOR_KUBERNETES", "off");
    settings.put("ROTOR_STATIC_POLICY", policy.toString());
    settings.put("profiles", Map.of("workload", Map.of("defaultTtl", ttl + "s", "minTtl", Math.min(ttl, 10) + "s", "maxTtl", "15m")));
    server = RotorServer.start(ServerConfig.fromMap(settings));
    started.add(server);
    adminToken = server.generatedAdminToken().orElseThrow(() -> new IllegalStateException("the demo needs a fresh data directory"));
    Path bundle = dir.resolve("ca.pem");
    Files.writeString(bundle, server.ca().bundlePem());
    admin = HttpClient.newBuilder().sslContext(TrustStores.clientContext(server.ca().bundle())).connectTimeout(Duration.ofSeconds(5)).build();
    say("server up: https://localhost:" + server.httpsPort() + " (workload certificates live " + ttl + " s here, to watch them rotate)");

    step(2, "Start an HTTP backend for payments/api, node-b's agent with an inbound proxy in front of it, node-a's agent with an outbound proxy");
    HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    backend.createContext("/", exchange -> {
      String xfcc = Optional.ofNullable(exchange.getRequestHeaders().getFirst("X-Forwarded-Client-Cert")).orElse("(none)");
      byte[] body = ("hello from payments/api; X-Forwarded-Client-Cert: " + xfcc + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    backend.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    backend.start();
    started.add(() -> backend.stop(0));
    int inbound = freePort();
    int outbound = freePort();
    Path webDir = dir.resolve("node-a").resolve("web-frontend");
    RotorAgent b = agent("node-b", dir, bundle, Map.of("inbound", List.of(Map.of("name", "payments-in",
        "listen", "127.0.0.1:" + inbound, "backend", "127.0.0.1:" + backend.getAddress().getPort(), "identity", API,
        "allow", List.of("spiffe://rotor.local/ns/web/*"), "http", true))), Map.of());
    RotorAgent a = agent("node-a", dir, bundle, Map.of("outbound", List.of(Map.of("name", "to-payments",
        "listen", "127.0.0.1:" + outbound, "upstream", "127.0.0.1:" + inbound, "identity", WEB, "expect", List.of(API)))),
        Map.of(WEB, webDir.toString()));
    say("node-b: inbound 127.0.0.1:" + inbound + " (identity " + API + ", allows spiffe://rotor.local/ns/web/*) -> backend :"
        + backend.getAddress().getPort());
    say("node-a: outbound 127.0.0.1:" + outbound + " (identity " + WEB + ", expects " + API + ")");
    if (!a.awaitAttested(Duration.ofSeconds(30)) || !b.awaitAttested(Duration.ofSeconds(30))) {
      throw new IllegalStateException("the agents did not attest within 30 s");
    }

    step(3, "Workload A calls B: plain HTTP to node-a's outbound proxy, mTLS between the proxies");
    String first = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (first == null) {
      try {
        first = get(HttpClient.newHttpClient(), outbound);
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no request passed within 30 s: " + e);
        }
        Thread.sleep(250);
      }
    }
    String caller = field(first, "URI");
    say("GET http://127.0.0.1:" + outbound + "/  ->  " + first.trim());
    say("the backend sees the caller " + caller + ", proven by mTLS, never by anything A could send");

    step(4, "Rotation: the agents renew at half the lifetime; traffic continues over the same connections");
    String serial0 = serial(webDir);
    String hash0 = field(first, "Hash");
    HttpClient keepAlive = HttpClient.newHttpClient();
    int requests = 0;
    int failed = 0;
    long until = System.nanoTime() + options.workloadTtl().multipliedBy(2).toNanos();
    String serial1 = serial0;
    while (serial1.equals(serial0) && System.nanoTime() < until) {
      try {
        get(keepAlive, outbound);
      } catch (IOException e) {
        failed++;
      }
      requests++;
      Thread.sleep(100);
      serial1 = serialOrSame(webDir, serial0);
    }
    if (serial1.equals(serial0)) {
      throw new IllegalStateException("A's certificate did not rotate within two lifetimes");
    }
    // Settle: B's agent also renews its own identity in this window; a new connection shows A's new certificate.
    String afterRotation = get(HttpClient.newHttpClient(), outbound);
    String hash1 = field(afterRotation, "Hash");
    say("A's certificate went from serial " + serial0 + " to " + serial1 + " while " + requests + " requests ran, " + failed + " failed");
    say("a new connection now presents the new certificate: Hash " + abbreviate(hash0) + " -> " + abbreviate(hash1));

    step(5, "Revocation: an operator revokes A's certificate through the REST API");
    HttpResponse<String> revoked = admin.send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.httpsPort()
            + "/api/v1/certificates/" + serial1 + "/revoke"))
        .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"keyCompromise\"}")).build(), HttpResponse.BodyHandlers.ofString());
    long t0 = System.nanoTime();
    if (revoked.statusCode() != 200) {
      throw new IllegalStateException("revoke answered " + revoked.statusCode() + ": " + revoked.body());
    }
    say("POST /api/v1/certificates/" + serial1 + "/revoke -> " + revoked.statusCode() + " " + revoked.body());
    String refusal = null;
    Duration toRefusal = null;
    long stopAt = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (refusal == null && System.nanoTime() < stopAt) {
      try {
        get(HttpClient.newHttpClient(), outbound);
        Thread.sleep(50);
      } catch (IOException e) {
        toRefusal = Duration.ofNanos(System.nanoTime() - t0);
        refusal = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
    }
    if (refusal == null) {
      throw new IllegalStateException("requests with the revoked certificate still passed after 10 s");
    }
    say("the next request is refused " + toRefusal.toMillis() + " ms after the revocation (" + refusal + ")");
    say("node-b's proxy counts it: " + metric(b, "rotor_proxy_denials_total", "revoked"));

    step(6, "Look around");
    String ui = "https://localhost:" + server.httpsPort() + "/ui/";
    say("admin UI:    " + ui + "   (the certificate is signed by the demo's own CA: " + bundle + ")");
    say("admin token: " + adminToken);
    say("logs:        " + dir.resolve("rotor-demo.log"));
    return new Report(first, caller, serial0, serial1, requests, failed, hash0, hash1, toRefusal, refusal, ui, adminToken);
  }

  private RotorAgent agent(String node, Path dir, Path bundle, Map<String, Object> proxy, Map<String, String> files) throws Exception {
    HttpResponse<String> r = admin.send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.httpsPort() + "/api/v1/join-tokens"))
        .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"node\":\"" + node + "\",\"ttlSeconds\":600}")).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("join token for " + node + ": " + r.statusCode() + " " + r.body());
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("server", "https://localhost:" + server.httpsPort());
    s.put("caBundle", bundle.toString());
    s.put("node", node);
    s.put("joinToken", JSON.readTree(r.body()).get("token").asText());
    s.put("dataDir", dir.resolve(node).toString());
    s.put("metricsPort", "0");
    s.put("bind", "127.0.0.1");
    s.put("kubernetes", "off");
    s.put("retryInitialDelay", "200ms");
    s.put("retryMaxDelay", "2s");
    if (!files.isEmpty()) {
      s.put("fileIdentities", files);
    }
    s.put("proxy", proxy);
    RotorAgent agent = RotorAgent.start(AgentConfig.fromMap(s, Map.of()), null);
    started.add(agent);
    return agent;
  }

  private static String get(HttpClient http, int port) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode());
    }
    return r.body();
  }

  /** A field of the XFCC header the backend echoed ({@code By=..;Hash=..;URI=..}). */
  static String field(String response, String name) {
    for (String part : response.substring(response.indexOf(':') + 1).trim().split(";")) {
      String p = part.trim();
      if (p.startsWith(name + "=")) {
        return p.substring(name.length() + 1).trim();
      }
    }
    return "";
  }

  private static String serial(Path identityDir) throws Exception {
    X509Certificate c = Pem.parseCertificates(Files.readString(identityDir.resolve("cert.pem"))).get(0);
    return c.getSerialNumber().toString(16);
  }

  private static String serialOrSame(Path dir, String previous) {
    try {
      return serial(dir);
    } catch (Exception e) {
      return previous; // mid-replacement: read again next time
    }
  }

  private static String metric(RotorAgent agent, String name, String reason) {
    try {
      String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
      return text.lines().filter(l -> l.startsWith(name) && l.contains("reason=\"" + reason + "\"")).findFirst().orElse(name + " (none yet)");
    } catch (IOException | InterruptedException e) {
      return name + " (unavailable: " + e + ")";
    }
  }

  private static String abbreviate(String hash) {
    return hash.length() > 16 ? hash.substring(0, 16) + "…" : hash;
  }

  private void step(int n, String what) {
    out.println();
    out.println("[" + n + "] " + what);
    out.flush();
  }

  private void say(String what) {
    out.println("    " + what);
    out.flush();
  }

  private static Object portOrAny(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return port;
    } catch (IOException e) {
      return 0; // taken: any free port (printed)
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }


  @Override
  public synchronized void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        out.println("    stopping part " + i + " failed: " + e);
      }
    }
    started.clear();
  }
}
