package dev.rotor.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * {@code rotor-load proxy}: the data-plane proxy against nginx. Starts an HTTP backend (nginx,
 * plain, fixed 3-byte answer), nginx as an mTLS-terminating reverse proxy in front of it, and the
 * Rotor proxy in its own JVM (one inbound listener, and an outbound listener chained to it), all
 * with certificates from the Rotor server at {@code --url}. ApacheBench ({@code ab -k}, OpenSSL,
 * presenting a client certificate with {@code -E}) drives each path for the same duration and
 * concurrency. nginx and ab are installed with apt-get when missing.
 */
final class ProxyBench {

  static final String USAGE = """
      usage: rotor-load proxy --url <https url> --token <operator token> [options]

        --url URL            the Rotor server that issues the benchmark's certificates
        --token TOKEN        an operator (or admin) API token (or ROTOR_TOKEN)
        --duration D         length of each measured run (default 30s)
        --warmup D           an unmeasured run of the same path and concurrency right before each
                             measured one (default 10s; 0s for none): every path, nginx included,
                             is measured warm
        --concurrency LIST   keep-alive connections per run, comma-separated (default 64,1000)
        --http               run the Rotor inbound listener in HTTP mode (adds X-Forwarded-Client-Cert)
        --proxy-heap SIZE    -Xmx of the proxy JVM (default 128m, the chart's agent heap)
        --proxy-java-options "OPTS"  extra JVM options for the proxy JVM (profiling: JFR, NMT);
                             its output is then kept as ./rotor-proxy.out
      """;

  private static final String TD = "rotor.local";
  private static final String CLIENT_ID = "spiffe://" + TD + "/ns/bench/sa/client";
  private static final String SERVER_ID = "spiffe://" + TD + "/ns/bench/sa/server";
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * The JVM options and environment the chart gives the agent (charts/rotor: {@code agent.javaOpts}
   * besides the heap, and the container's {@code MALLOC_ARENA_MAX}); the proxy JVM runs with the
   * same, so the benchmark measures what users get. {@code ProxyBenchTest} checks they agree.
   */
  static final List<String> AGENT_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TrimNativeHeapInterval=1000");
  static final Map<String, String> AGENT_ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "2");
  /** The heap the chart's {@code -XX:MaxRAMPercentage=50} gives the agent under its 256 Mi limit. */
  static final String AGENT_HEAP = "128m";

  record Options(String url, String token, Duration duration, Duration warmup, List<Integer> concurrency, boolean http,
      String proxyHeap, List<String> proxyJavaOptions) {
    static Options parse(String[] args, java.util.function.Function<String, String> env) throws UsageException {
      String url = null;
      String token = env.apply("ROTOR_TOKEN");
      Duration duration = Duration.ofSeconds(30);
      Duration warmup = Duration.ofSeconds(10);
      List<Integer> conc = List.of(64, 1000);
      boolean http = false;
      String heap = AGENT_HEAP;
      List<String> javaOptions = List.of();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--http" -> http = true;
          case "--url", "--token", "--duration", "--warmup", "--concurrency", "--proxy-heap", "--proxy-java-options" -> {
            if (i + 1 >= args.length) {
              throw new UsageException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
              case "--url" -> url = v.replaceAll("/+$", "");
              case "--token" -> token = v;
              case "--proxy-java-options" -> javaOptions = List.of(v.trim().split("\\s+"));
              case "--duration" -> duration = DurationArg.parse(a, v);
              case "--warmup" -> warmup = DurationArg.parse(a, v);
              case "--concurrency" -> {
                List<Integer> c = new ArrayList<>();
                for (String p : v.split(",")) {
                  try {
                    int n = Integer.parseInt(p.trim());
                    if (n < 1 || n > 20000) {
                      throw new NumberFormatException();
                    }
                    c.add(n);
                  } catch (NumberFormatException e) {
                    throw new UsageException("--concurrency: numbers from 1 to 20000, comma-separated");
                  }
                }
                conc = List.copyOf(c);
              }
              default -> {
                if (!v.matches("[0-9]+[mg]")) {
                  throw new UsageException("--proxy-heap: a size like 160m or 1g");
                }
                heap = v;
              }
            }
          }
          default -> throw new UsageException("unknown option " + a);
        }
      }
      if (url == null || !url.startsWith("https://")) {
        throw new UsageException("--url https://<server>:<port> is required");
      }
      if (token == null || token.isBlank()) {
        throw new UsageException("--token (or ROTOR_TOKEN) is required");
      }
      if (duration.toSeconds() < 1) {
        throw new UsageException("--duration: at least 1s (ab counts whole seconds)");
      }
      if (!warmup.isZero() && warmup.toSeconds() < 1) {
        throw new UsageException("--warmup: 0s or at least 1s (ab counts whole seconds)");
      }
      return new Options(url, token, duration, warmup, conc, http, heap, javaOptions);
    }
  }

  /** One measured run. */
  record Row(String scenario, int connections, AbResult result) {}

  private final Options options;
  private final PrintStream out;
  private final Path dir;
  private final List<Process> processes = new ArrayList<>();

  ProxyBench(Options options, PrintStream out) throws IOException {
    this.options = options;
    this.out = out;
    this.dir = Files.createTempDirectory("rotor-proxy-bench-");
  }

  int run() throws Exception {
    try {
      Tools.ensure(out);
      TrustAnchors anchors = TrustAnchors.fetchTrustOnFirstUse(options.url());
      HttpClient api = HttpClient.newBuilder().sslContext(anchors.sslContext()).version(HttpClient.Version.HTTP_1_1).build();
      Files.write(dir.resolve("bundle.pem"), anchors.pem());
      writeIdentity(api, CLIENT_ID, "client");
      writeIdentity(api, SERVER_ID, "server");
      // ab -E wants the chain and the key in one PEM file.
      Files.writeString(dir.resolve("client-ab.pem"), Files.readString(dir.resolve("client.pem")) + Files.readString(dir.resolve("client.key")));
      int backend = freePort();
      int nginxTls = freePort();
      int rotorIn = freePort();
      int rotorOut = freePort();
      startNginx(backend, nginxTls);
      startRotorProxy(api, backend, rotorIn, rotorOut);

      List<Row> rows = new ArrayList<>();
      out.printf(Locale.ROOT, "each path: ab -k for %d s unmeasured (warm-up), then %d s measured%n", options.warmup().toSeconds(),
          options.duration().toSeconds());
      out.printf(Locale.ROOT, "%-14s %6s %10s %6s %6s %8s %9s%n", "path", "conns", "req/s", "p50ms", "p99ms", "errors", "vs nginx");
      for (int c : options.concurrency()) {
        Row direct = measure("direct", c, "http://127.0.0.1:" + backend + "/", false);
        Row nginx = measure("nginx 1 hop", c, "https://127.0.0.1:" + nginxTls + "/", true);
        Row one = measure("rotor 1 hop", c, "https://127.0.0.1:" + rotorIn + "/", true);
        Row two = measure("rotor 2 hops", c, "http://127.0.0.1:" + rotorOut + "/", false);
        for (Row r : List.of(direct, nginx, one, two)) {
          rows.add(r);
          out.printf(Locale.ROOT, "%-14s %6d %10.0f %6d %6d %8d %9s%n", r.scenario(), r.connections(), r.result().requestsPerSecond(),
              r.result().p50Ms(), r.result().p99Ms(), r.result().failed() + r.result().non2xx(),
              r.scenario().startsWith("rotor") ? String.format(Locale.ROOT, "%.2fx", r.result().requestsPerSecond() / nginx.result().requestsPerSecond()) : "");
        }
      }
      long rssKiB = peakRss(processes.get(processes.size() - 1).pid());
      out.printf(Locale.ROOT, "rotor proxy JVM peak RSS: %d MiB (-Xmx%s %s, %s)%n", rssKiB / 1024, options.proxyHeap(),
          String.join(" ", AGENT_JVM_OPTIONS), AGENT_ENVIRONMENT.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted()
              .collect(java.util.stream.Collectors.joining(" ")));
      long revocationMs = revocationToRefusal(api, rotorIn);
      out.printf(Locale.ROOT, "revocation to refusal: open connection closed %d ms after the revoke call returned; a new handshake with the revoked certificate was refused%n", revocationMs);
      return verdict(rows, rssKiB, revocationMs);
    } finally {
      for (Process p : processes) {
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      if (!options.proxyJavaOptions().isEmpty() && Files.exists(dir.resolve("proxy.out"))) {
        Files.copy(dir.resolve("proxy.out"), Path.of("rotor-proxy.out"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private int verdict(List<Row> rows, long rssKiB, long revocationMs) {
    StringBuilder line = new StringBuilder("RESULT proxy");
    boolean pass = true;
    for (int c : options.concurrency()) {
      AbResult direct = pick(rows, "direct", c);
      AbResult nginx = pick(rows, "nginx 1 hop", c);
      AbResult one = pick(rows, "rotor 1 hop", c);
      AbResult two = pick(rows, "rotor 2 hops", c);
      double ratio = one.requestsPerSecond() / nginx.requestsPerSecond();
      int addedRotor = addedP99(one, direct);
      int addedNginx = addedP99(nginx, direct);
      line.append(String.format(Locale.ROOT, " c%d: 1hop/nginx=%.2f 2hop/nginx=%.2f addedP99 rotor=%dms nginx=%dms", c, ratio,
          two.requestsPerSecond() / nginx.requestsPerSecond(), addedRotor, addedNginx));
      pass &= ratio >= 1.0 && addedRotor <= addedNginx && one.clean() && two.clean();
    }
    pass &= rssKiB < 256 * 1024;
    line.append(String.format(Locale.ROOT, " rss=%dMiB revocation=%dms %s", rssKiB / 1024, revocationMs, pass ? "PASS" : "FAIL"));
    out.println(line);
    return pass ? 0 : 1;
  }

  /**
   * The p99 a proxy adds to the direct path, in whole milliseconds as ab reports them. A proxy
   * cannot take latency away, so a path measured below the direct one (nginx at 2 ms against the
   * direct path's 3 ms, seen here) counts as 0 added, not as a negative that no other path could
   * match.
   */
  static int addedP99(AbResult path, AbResult direct) {
    return Math.max(0, path.p99Ms() - direct.p99Ms());
  }

  private static AbResult pick(List<Row> rows, String scenario, int c) {
    return rows.stream().filter(r -> r.scenario().equals(scenario) && r.connections() == c).findFirst().orElseThrow().result();
  }

  /**
   * Drives {@code url} for the warm-up (discarded), then for the measured duration. The warm-up
   * gives every path the same start: without it the Rotor proxy's first run (64 connections, one
   * hop) also carried its JIT compilation, which nginx, a native binary, never pays.
   */
  private Row measure(String scenario, int connections, String url, boolean clientCert) throws Exception {
    if (!options.warmup().isZero()) {
      ab(scenario + " (warm-up)", connections, url, clientCert, options.warmup());
    }
    return new Row(scenario, connections, AbResult.parse(ab(scenario, connections, url, clientCert, options.duration())));
  }

  private String ab(String scenario, int connections, String url, boolean clientCert, Duration length) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ab", "-q", "-k", "-c", Integer.toString(connections), "-t",
        Long.toString(length.toSeconds()), "-n", "100000000", "-s", "30"));
    if (clientCert) {
      cmd.addAll(List.of("-E", dir.resolve("client-ab.pem").toString()));
    }
    cmd.add(url);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("ab failed for " + scenario + ": " + output.lines().limit(20).toList());
    }
    return output;
  }

  private void writeIdentity(HttpClient api, String spiffeId, String name) throws Exception {
    KeyPair k = keys();
    JsonNode j = issue(api, spiffeId, k);
    Files.writeString(dir.resolve(name + ".pem"), j.get("chain").asText());
    Files.writeString(dir.resolve(name + ".key"), PrivateKeys.toPem(k.getPrivate()));
  }

  private JsonNode issue(HttpClient api, String spiffeId, KeyPair k) throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
    String csr = Pem.encode("CERTIFICATE REQUEST", new JcaPKCS10CertificationRequestBuilder(new X500Name(""), k.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())).getEncoded());
    // The longest lifetime the workload profile allows: the runs must not outlive the certificates.
    return post(api, "/api/v1/certificates", Map.of("csr", csr, "profile", "workload"));
  }

  private JsonNode post(HttpClient api, String path, Map<String, Object> body) throws Exception {
    HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(options.url() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + options.token()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException("POST " + path + " answered " + r.statusCode() + ": " + Http.abbreviate(r.body()));
    }
    return JSON.readTree(r.body());
  }

  private void startNginx(int backend, int tls) throws Exception {
    String conf = """
        worker_processes %d;
        daemon off;
        pid %s/nginx.pid;
        error_log %s/nginx-error.log warn;
        events { worker_connections 8192; }
        http {
          access_log off;
          keepalive_requests 100000000;
          keepalive_timeout 120s;
          client_body_temp_path %s/body;
          proxy_temp_path %s/proxy;
          fastcgi_temp_path %s/fastcgi;
          uwsgi_temp_path %s/uwsgi;
          scgi_temp_path %s/scgi;
          upstream backend { server 127.0.0.1:%d; keepalive 1024; keepalive_requests 100000000; }
          server {
            listen 127.0.0.1:%d reuseport;
            location / { default_type text/plain; return 200 "ok\\n"; }
          }
          server {
            listen 127.0.0.1:%d ssl reuseport;
            ssl_protocols TLSv1.3;
            ssl_certificate %s/server.pem;
            ssl_certificate_key %s/server.key;
            ssl_client_certificate %s/bundle.pem;
            ssl_verify_client on;
            ssl_verify_depth 3;
            ssl_session_cache shared:rotorbench:10m;
            location / {
              proxy_pass http://backend;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header X-Forwarded-Client-Cert $ssl_client_s_dn;
            }
          }
        }
        """.formatted(Runtime.getRuntime().availableProcessors(), dir, dir, dir, dir, dir, dir, dir, backend, backend, tls, dir, dir, dir);
    Files.writeString(dir.resolve("nginx.conf"), conf);
    Process p = new ProcessBuilder(Tools.nginx(), "-c", dir.resolve("nginx.conf").toString(), "-p", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    processes.add(p);
    waitForPort(backend, p, "nginx");
    waitForPort(tls, p, "nginx");
  }

  private void startRotorProxy(HttpClient api, int backend, int in, int outPort) throws Exception {
    // The proxy follows the revocation feed as an agent: attest with a join token.
    JsonNode token = post(api, "/api/v1/join-tokens", Map.of("node", "proxy-bench"));
    KeyPair agentKeys = keys();
    String agentCsr = Pem.encode("CERTIFICATE REQUEST", new JcaPKCS10CertificationRequestBuilder(new X500Name(""), agentKeys.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(agentKeys.getPrivate())).getEncoded());
    HttpResponse<String> attest = api.send(HttpRequest.newBuilder(URI.create(options.url() + "/agent/v1/attest"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
            Map.of("method", "join", "token", token.get("token").asText(), "csr", agentCsr)))).build(), HttpResponse.BodyHandlers.ofString());
    if (attest.statusCode() != 201) {
      throw new IOException("agent attestation answered " + attest.statusCode() + ": " + Http.abbreviate(attest.body()));
    }
    Files.writeString(dir.resolve("agent.pem"), JSON.readTree(attest.body()).get("chain").asText());
    Files.writeString(dir.resolve("agent.key"), PrivateKeys.toPem(agentKeys.getPrivate()));
    Files.writeString(dir.resolve("server"), options.url());
    Files.copy(dir.resolve("client.pem"), dir.resolve("id-0.pem"));
    Files.copy(dir.resolve("client.key"), dir.resolve("id-0.key"));
    Files.copy(dir.resolve("server.pem"), dir.resolve("id-1.pem"));
    Files.copy(dir.resolve("server.key"), dir.resolve("id-1.key"));
    Map<String, Object> inbound = new LinkedHashMap<>();
    inbound.put("name", "bench-in");
    inbound.put("listen", "127.0.0.1:" + in);
    inbound.put("backend", "127.0.0.1:" + backend);
    inbound.put("identity", SERVER_ID);
    inbound.put("allow", List.of("spiffe://" + TD + "/ns/bench/*"));
    inbound.put("http", options.http());
    Map<String, Object> outbound = Map.of("name", "bench-out", "listen", "127.0.0.1:" + outPort, "upstream", "127.0.0.1:" + in,
        "identity", CLIENT_ID, "expect", List.of(SERVER_ID));
    JSON.writeValue(dir.resolve("proxy.yaml").toFile(), Map.of("inbound", List.of(inbound), "outbound", List.of(outbound)));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("java.class.path");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xms32m", "-Xmx" + options.proxyHeap()));
    cmd.addAll(AGENT_JVM_OPTIONS);
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.addAll(options.proxyJavaOptions());
    cmd.addAll(List.of("-cp", classpath, ProxyProcess.class.getName(), dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("proxy.out").toFile());
    pb.environment().putAll(AGENT_ENVIRONMENT);
    Process p = pb.start();
    processes.add(p);
    waitForPort(in, p, "rotor proxy");
    waitForPort(outPort, p, "rotor proxy");
  }

  /** Revokes a fresh allowed identity that has a connection open through the inbound listener; the time until the proxy closes it. */
  private long revocationToRefusal(HttpClient api, int rotorIn) throws Exception {
    KeyPair k = keys();
    JsonNode doomed = issue(api, "spiffe://" + TD + "/ns/bench/sa/doomed", k);
    List<X509Certificate> chain = Pem.parseCertificates(doomed.get("chain").asText());
    SSLContext ctx = clientContext(k, chain);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", rotorIn)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[512];
      if (s.getInputStream().read(buf) <= 0) {
        throw new IOException("the revocation probe got no answer before the revocation");
      }
      post(api, "/api/v1/certificates/" + doomed.get("serial").asText() + "/revoke", Map.of("reason", "keyCompromise"));
      long t0 = System.nanoTime();
      try {
        while (s.getInputStream().read(buf) > 0) {
          // drain until the proxy closes
        }
      } catch (IOException e) {
        // a reset counts as closed too
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      try (SSLSocket again = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", rotorIn)) {
        again.setSoTimeout(10_000);
        again.startHandshake();
        again.getOutputStream().write("GET / HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (again.getInputStream().read(buf) > 0) {
          throw new IOException("a new connection with the revoked certificate was served");
        }
      } catch (IOException refused) {
        if (refused.getMessage() != null && refused.getMessage().startsWith("a new connection")) {
          throw refused;
        }
      }
      return ms;
    }
  }

  private SSLContext clientContext(KeyPair k, List<X509Certificate> chain) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", k.getPrivate(), "pw".toCharArray(), chain.toArray(new X509Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "pw".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), TrustAnchors.fromPem(Files.readAllBytes(dir.resolve("bundle.pem"))).sslContextTrustManagers(), null);
    return ctx;
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void waitForPort(int port, Process p, String what) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < until) {
      if (!p.isAlive()) {
        throw new IOException(what + " exited with " + p.exitValue());
      }
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IOException(what + " did not listen on " + port + " within 30 s");
  }

  /** Peak resident set size (VmHWM) of a process, KiB. */
  static long peakRss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmHWM for " + pid);
  }

  /** nginx and ab, installed from Debian's packages when missing. */
  static final class Tools {
    private Tools() {}

    static String nginx() {
      for (String p : List.of("/usr/sbin/nginx", "/usr/bin/nginx")) {
        if (Files.isExecutable(Path.of(p))) {
          return p;
        }
      }
      return "nginx";
    }

    static void ensure(PrintStream out) throws Exception {
      boolean haveNginx = !nginx().equals("nginx");
      boolean haveAb = Files.isExecutable(Path.of("/usr/bin/ab"));
      if (haveNginx && haveAb) {
        return;
      }
      out.println("installing nginx and apache2-utils (ab) with apt-get ...");
      run(List.of("apt-get", "update", "-qq"));
      run(List.of("apt-get", "install", "-y", "-qq", "nginx", "apache2-utils"));
      // The package may start a system nginx on port 80; the benchmark runs its own.
      new ProcessBuilder("sh", "-c", "service nginx stop >/dev/null 2>&1 || true").start().waitFor();
    }

    private static void run(List<String> cmd) throws Exception {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + output.lines().reduce((a, b) -> b).orElse(""));
      }
    }
  }
}
