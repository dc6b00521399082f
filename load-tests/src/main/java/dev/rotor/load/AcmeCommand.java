package dev.rotor.load;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * {@code rotor-load acme}: complete ACME flows with acme4j, as an ingress controller runs them —
 * new order, http-01 answered by a responder this command runs, finalize, download — in a closed
 * loop over pre-made accounts, and the rate of complete orders with their latency.
 */
final class AcmeCommand {

  static final String USAGE =
      """
      usage: rotor-load acme --url URL [options]

      Runs complete ACME flows (new order -> http-01 -> finalize -> download) with acme4j in a
      closed loop and prints complete orders/s, p50/p99 of an order and the errors. The server
      must send http-01 validation for the names ordered to this command's responder:
        ROTOR_ACME_STATIC_HOSTS=*.<domain suffix>=<address of this machine>
        ROTOR_ACME_HTTP01_PORT=<responder port>
        ROTOR_PERMITTED_DNS=...,<domain suffix>
        ROTOR_ACME_ORDERS_PER_HOUR high enough (each account orders about rate x duration / accounts)

        --url URL             server base URL, e.g. https://127.0.0.1:8443 (required)
        --token TOKEN         operator token, used only when the directory requires External
                              Account Binding (or the environment variable ROTOR_TOKEN)
        --accounts N          accounts made before the run, used round-robin (default 50)
        --concurrency N       orders in flight (default 32)
        --duration D          measured time (default 60s)
        --warmup D            time before measuring, not counted (default 5s)
        --profile NAME        ACME directory /acme/<profile>/directory (default acme)
        --domain-suffix S     names ordered are o<n>.<S> (default acme-bench.test)
        --responder-port P    port of the http-01 responder (default 5002)
        --responder-bind A    address it binds (default 127.0.0.1)
        --cacert FILE         PEM trust anchors; without it <url>/ca/bundle.pem is fetched once
                              and trusted on first use
        --help                this text

      Exit status: 0 when there were no errors, 1 otherwise, 2 for a bad command line.
      """;

  private static final Set<String> KNOWN = Set.of("url", "token", "accounts", "concurrency", "duration", "warmup", "profile",
      "domain-suffix", "responder-port", "responder-bind", "cacert");
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Duration ORDER_TIMEOUT = Duration.ofSeconds(60);

  record Options(String baseUrl, Optional<String> token, int accounts, int concurrency, Duration duration, Duration warmup,
      String profile, String domainSuffix, int responderPort, String responderBind, Optional<Path> caCert) {

    static Options parse(String[] args, Function<String, String> env) throws UsageException {
      CommandLine given = CommandLine.parse(args, KNOWN);
      String url = given.baseUrl(true);
      Optional<String> token = Optional.ofNullable(given.string("token", env.apply("ROTOR_TOKEN")));
      int accounts = given.integer("accounts", 50, 1, 10_000);
      int concurrency = given.integer("concurrency", 32, 1, 4_096);
      Duration duration = given.duration("duration", Duration.ofSeconds(60));
      if (duration.isZero()) {
        throw new UsageException("--duration must be more than zero");
      }
      Duration warmup = given.duration("warmup", Duration.ofSeconds(5));
      String profile = given.string("profile", "acme");
      if (!profile.matches("[a-z][a-z0-9-]*")) {
        throw new UsageException("--profile: '" + profile + "' is not a profile name");
      }
      String suffix = given.string("domain-suffix", "acme-bench.test");
      if (!suffix.matches("[a-z0-9-]+(\\.[a-z0-9-]+)*")) {
        throw new UsageException("--domain-suffix: '" + suffix + "' is not a lower-case DNS name");
      }
      int port = given.integer("responder-port", 5002, 1, 65_535);
      String bind = given.string("responder-bind", "127.0.0.1");
      Optional<Path> caCert = Optional.ofNullable(given.string("cacert", null)).map(Path::of);
      if (caCert.isPresent() && !Files.isReadable(caCert.get())) {
        throw new UsageException("--cacert: cannot read " + caCert.get());
      }
      return new Options(url, token, accounts, concurrency, duration, warmup, profile, suffix, port, bind, caCert);
    }
  }

  private final Options options;
  private final PrintStream out;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Histogram latency = new ConcurrentHistogram(3);
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();
  private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();

  AcmeCommand(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  int run() throws Exception {
    if (Security.getProvider("BC") == null) {
      Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()); // acme4j's CSRBuilder names BC
    }
    // The native provider first, so that acme4j's JWS signatures (the generator's main CPU cost) use it.
    dev.rotor.pki.CryptoProviders.installForTls();
    TrustAnchors trust = options.caCert().isPresent()
        ? TrustAnchors.fromPem(Files.readAllBytes(options.caCert().get()))
        : TrustAnchors.fetchTrustOnFirstUse(options.baseUrl());
    SSLContext ssl = dev.rotor.pki.TrustStores.clientContext(trust.certificates());
    URI directory = URI.create(options.baseUrl() + "/acme/" + options.profile() + "/directory");
    HttpServer responder = responder();
    try {
      Session setup = session(directory, ssl);
      boolean eab = setup.getMetadata().isExternalAccountRequired();
      if (eab && options.token().isEmpty()) {
        throw new IllegalStateException("the directory requires External Account Binding: give --token (an operator token)");
      }
      List<KeyPair> keys = new ArrayList<>();
      List<URL> accounts = new ArrayList<>();
      for (int i = 0; i < options.accounts(); i++) {
        KeyPair key = ecKey();
        AccountBuilder b = new AccountBuilder().agreeToTermsOfService().useKeyPair(key);
        if (eab) {
          Map<String, String> k = eabKey(ssl);
          b.withKeyIdentifier(k.get("keyId"), k.get("hmacKey"));
        }
        accounts.add(b.create(setup).getLocation());
        keys.add(key);
      }
      List<KeyPair> domainKeys = new ArrayList<>();
      for (int i = 0; i < Math.min(64, options.concurrency()); i++) {
        domainKeys.add(ecKey());
      }
      out.printf("rotor-load acme: %d accounts ready; %d in flight for %s after %s warm-up against %s%n", accounts.size(),
          options.concurrency(), options.duration(), options.warmup(), directory);

      long start = System.nanoTime();
      long measureFrom = start + options.warmup().toNanos();
      long end = measureFrom + options.duration().toNanos();
      try (var workers = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int w = 0; w < options.concurrency(); w++) {
          int worker = w;
          workers.execute(() -> work(worker, directory, ssl, accounts, keys, domainKeys.get(worker % domainKeys.size()), measureFrom, end));
        }
      }
      report();
      return errors.isEmpty() ? 0 : 1;
    } finally {
      responder.stop(0);
    }
  }

  private void work(int worker, URI directory, SSLContext ssl, List<URL> accounts, List<KeyPair> keys, KeyPair domainKey,
      long measureFrom, long end) {
    Session session = session(directory, ssl);
    Map<Integer, Login> logins = new HashMap<>();
    int next = worker;
    while (System.nanoTime() < end) {
      int a = next++ % accounts.size();
      Login login = logins.computeIfAbsent(a, i -> session.login(accounts.get(i), keys.get(i)));
      long t0 = System.nanoTime();
      try {
        flow(login, domainKey);
        long t1 = System.nanoTime();
        if (t0 >= measureFrom && t1 <= end) {
          completed.incrementAndGet();
          latency.recordValue(Math.max(1, (t1 - t0) / 1_000));
        }
      } catch (Exception e) {
        if (t0 >= measureFrom && System.nanoTime() <= end) {
          errors.computeIfAbsent(describe(e), k -> new AtomicLong()).incrementAndGet();
        }
      }
    }
  }

  private void flow(Login login, KeyPair domainKey) throws Exception {
    String name = "o" + sequence.incrementAndGet() + "." + options.domainSuffix();
    Order order = login.getAccount().newOrder().domain(name).create();
    Http01Challenge challenge = order.getAuthorizations().get(0).findChallenge(Http01Challenge.class)
        .orElseThrow(() -> new IllegalStateException("no http-01 challenge offered"));
    tokens.put(challenge.getToken(), challenge.getAuthorization());
    try {
      challenge.trigger();
      long deadline = System.nanoTime() + ORDER_TIMEOUT.toNanos();
      while (challenge.getStatus() != Status.VALID) {
        if (challenge.getStatus() == Status.INVALID) {
          throw new IllegalStateException("challenge invalid: " + challenge.getError().map(p -> p.getType().toString()).orElse("?"));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("challenge not validated within " + ORDER_TIMEOUT);
        }
        Thread.sleep(POLL);
        challenge.fetch();
      }
    } finally {
      tokens.remove(challenge.getToken());
    }
    order.execute(domainKey);
    long deadline = System.nanoTime() + ORDER_TIMEOUT.toNanos();
    while (order.getStatus() != Status.VALID) {
      if (order.getStatus() == Status.INVALID || System.nanoTime() > deadline) {
        throw new IllegalStateException("order " + order.getStatus());
      }
      Thread.sleep(POLL);
      order.fetch();
    }
    Certificate cert = order.getCertificate();
    cert.download();
    X509Certificate leaf = cert.getCertificate();
    if (!leaf.getSubjectAlternativeNames().iterator().next().get(1).equals(name)) {
      throw new IllegalStateException("the certificate does not name " + name);
    }
  }

  /** A P-256 key pair from the first provider (the native one when it loads), not BouncyCastle's. */
  private static KeyPair ecKey() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private void report() {
    double seconds = options.duration().toNanos() / 1e9;
    long n = completed.get();
    out.printf("complete orders: %d in %.1f s = %.1f orders/s%n", n, seconds, n / seconds);
    if (n > 0) {
      out.printf("order latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", latency.getValueAtPercentile(50) / 1000.0,
          latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0);
    }
    long total = errors.values().stream().mapToLong(AtomicLong::get).sum();
    out.printf("errors: %d%n", total);
    new TreeMap<>(errors).forEach((k, v) -> out.printf("  %6d  %s%n", v.get(), k));
  }

  private static String describe(Throwable e) {
    if (e instanceof AcmeServerException s) {
      return s.getProblem().getType() + ": " + s.getMessage();
    }
    return RotorLoad.describe(e);
  }

  private HttpServer responder() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(options.responderBind()), options.responderPort()), 1024);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/.well-known/acme-challenge/", ex -> {
      String token = ex.getRequestURI().getPath().substring("/.well-known/acme-challenge/".length());
      String body = tokens.get(token);
      byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.US_ASCII);
      ex.sendResponseHeaders(body == null ? 404 : 200, b.length == 0 ? -1 : b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    server.start();
    return server;
  }

  private static Session session(URI directory, SSLContext ssl) {
    return new Session(directory, new GenericAcmeProvider() {
      @Override
      public HttpClient createHttpClient(NetworkSettings settings) {
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1).build();
      }
    });
  }

  /** A fresh EAB key from {@code POST /api/v1/acme/eab}. */
  private Map<String, String> eabKey(SSLContext ssl) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(options.baseUrl() + "/api/v1/acme/eab"))
        .header("Authorization", "Bearer " + options.token().orElseThrow()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"label\":\"rotor-load\"}")).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("POST /api/v1/acme/eab answered " + r.statusCode() + ": " + r.body());
    }
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    return Map.of("keyId", node.get("keyId").asText(), "hmacKey", node.get("hmacKey").asText());
  }
}
