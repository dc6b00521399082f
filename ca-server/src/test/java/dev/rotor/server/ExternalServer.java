package dev.rotor.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Rotor server in a separate JVM ({@code java -cp <the test classpath> dev.rotor.server.RotorServer}),
 * so that a crash is a real process death: {@link #kill} is SIGKILL, and an armed
 * {@link CrashPoint} halts the JVM. The database is external (the test's PostgreSQL outlives it).
 */
final class ExternalServer implements AutoCloseable {

  private final Process process;
  private int httpsPort = -1;
  private int httpPort = -1;
  private final Path log;
  private HttpClient client;

  private ExternalServer(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts a server with {@code env} (ROTOR_* keys) and, if given, {@code -Drotor.test.crashAt=crashAt};
   * returns once {@code /readyz} answers 200.
   */
  static ExternalServer start(Path dir, Map<String, String> env, Optional<String> crashAt) throws Exception {
    Files.createDirectories(dir);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx384m");
    cmd.add("-XX:+UseSerialGC");
    crashAt.ifPresent(p -> cmd.add("-Drotor.test.crashAt=" + p));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(RotorServer.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> e = new LinkedHashMap<>();
    e.put("ROTOR_DATA_DIR", dir.resolve("data").toString());
    // Port 0: the server binds free ports itself and prints them (a port picked here and bound
    // later can be taken meanwhile, e.g. as the source port of an outgoing connection).
    e.put("ROTOR_HTTPS_PORT", "0");
    e.put("ROTOR_HTTP_PORT", "0");
    e.put("ROTOR_BIND", "127.0.0.1");
    e.put("ROTOR_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
    e.put("ROTOR_KUBERNETES", "off");
    e.put("ROTOR_ACME_ENABLED", "false");
    e.putAll(env);
    pb.environment().putAll(e);
    Path log = dir.resolve("server-" + Instant.now().toEpochMilli() + ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    ExternalServer s = new ExternalServer(pb.start(), log);
    try {
      s.awaitReady(Duration.ofSeconds(90));
    } catch (Exception | Error ex) {
      s.kill();
      throw ex;
    }
    return s;
  }

  private static final java.util.regex.Pattern HTTPS_LINE = java.util.regex.Pattern.compile("API \\(HTTPS\\): +https://[^:]+:(\\d+)/");
  private static final java.util.regex.Pattern HTTP_LINE = java.util.regex.Pattern.compile("CRL/OCSP/CA: +http://[^ ]*:(\\d+)/crl");

  /** Reads the ports the server bound from the start-up banner in its log, once it is there. */
  private boolean portsKnown() {
    if (httpsPort > 0 && httpPort > 0) {
      return true;
    }
    String text;
    try {
      text = Files.readString(log);
    } catch (java.io.IOException e) {
      return false;
    }
    java.util.regex.Matcher https = HTTPS_LINE.matcher(text);
    java.util.regex.Matcher http = HTTP_LINE.matcher(text);
    if (https.find() && http.find()) {
      httpsPort = Integer.parseInt(https.group(1));
      httpPort = Integer.parseInt(http.group(1));
      return true;
    }
    return false;
  }

  private void awaitReady(Duration timeout) throws Exception {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the server exited with " + process.exitValue() + ":\n" + logTail());
      }
      if (!portsKnown()) {
        Thread.sleep(200);
        continue;
      }
      try {
        if (plain.send(HttpRequest.newBuilder(http("/readyz")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          client = HttpClient.newBuilder().sslContext(TestServer.sslContext(bundle()))
              .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the server did not become ready:\n" + logTail());
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (Exception e) {
      return "(no log: " + e + ")";
    }
  }

  URI https(String path) {
    return URI.create("https://localhost:" + httpsPort + path);
  }

  URI http(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  List<X509Certificate> bundle() throws Exception {
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(http("/ca/bundle.pem")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(r.body())).stream()
        .map(c -> (X509Certificate) c).toList();
  }

  X509Certificate issuer() throws Exception {
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(http("/ca/issuer.crt")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(r.body()));
  }

  /** Sends a request with the admin token; an {@link java.io.IOException} means no answer arrived. */
  TestServer.Reply send(String method, String path, Object json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(https(path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN);
    if (json != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(TestServer.JSON.writeValueAsString(json)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new TestServer.Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r);
  }

  TestServer.Reply issue(String csrPem) throws Exception {
    return send("POST", "/api/v1/certificates", Map.of("csr", csrPem, "profile", "workload", "ttlSeconds", 600));
  }

  TestServer.Reply revoke(String serial, String reason) throws Exception {
    return send("POST", "/api/v1/certificates/" + serial + "/revoke", Map.of("reason", reason));
  }

  JsonNode verifyAudit() throws Exception {
    return send("GET", "/api/v1/audit/verify", null).json();
  }

  HttpClient plain() {
    return HttpClient.newHttpClient();
  }

  /** Waits for the process to end by itself (an armed crash point); returns its exit status. */
  int awaitExit(Duration timeout) throws Exception {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("the server is still running:\n" + logTail());
    }
    return process.exitValue();
  }

  /** SIGKILL, as {@code kill -9}: no shutdown hook runs. */
  void kill() throws Exception {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      kill();
    }
  }
}
