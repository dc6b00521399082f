package dev.rotor.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.PkiException;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The agent API over HTTPS (JDK {@link HttpClient}).
 *
 * <p>Handshakes cost more CPU than signing, so the client keeps one keep-alive connection pool per
 * agent certificate: {@link #use(Credentials)} builds a new {@link HttpClient} only when the
 * certificate changes and closes the previous one. The server is trusted through the bootstrap
 * anchors (the CA bundle file the agent was configured with) plus the bundle of the current
 * credentials, so a CA rotation published in the bundle does not cut the agent off.
 *
 * <p>Every response that carries the trust bundle (attestation, renewal, workload signing,
 * {@code GET /agent/v1/bundle}) updates {@link #currentBundle()}; listeners hear of each change.
 * Sinks write and check against that one bundle, so a workload certificate signed by a CA that the
 * agent's own (older) credentials do not know yet is never judged untrusted in a loop.
 */
public final class AgentApiClient implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 256 * 1024;
  /** Request header naming the notAfter of the certificate a workload renewal replaces (the server's admission gate reads it). */
  public static final String CURRENT_NOT_AFTER = "Rotor-Current-Not-After";

  private final URI server;
  private final List<X509Certificate> bootstrapAnchors;
  private final Duration timeout;
  private final Clock clock;
  private final HttpClient anonymous;
  private volatile Session session;
  private final java.util.concurrent.atomic.AtomicReference<TrustBundle> latestBundle =
      new java.util.concurrent.atomic.AtomicReference<>();
  private final List<java.util.function.Consumer<TrustBundle>> bundleListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private record Session(Credentials credentials, HttpClient http) {}

  /**
   * @param server the server's base URL ({@code https://host:port})
   * @param bootstrapAnchors the CA certificates trusted to reach the server before the first attestation
   */
  public AgentApiClient(URI server, List<X509Certificate> bootstrapAnchors, Duration timeout, Clock clock) {
    this.server = Objects.requireNonNull(server);
    this.bootstrapAnchors = List.copyOf(bootstrapAnchors);
    this.timeout = timeout;
    this.clock = clock;
    this.anonymous = newHttpClient(null);
  }

  /**
   * Makes {@code credentials} the client certificate of every later mTLS call. Does nothing when
   * they are the ones in use; otherwise replaces the connection pool (open connections of the old
   * one finish their exchanges and close).
   */
  public synchronized void use(Credentials credentials) {
    Session old = session;
    if (old != null && old.credentials().equals(credentials)) {
      return;
    }
    session = new Session(credentials, newHttpClient(credentials));
    if (old != null) {
      old.http().shutdown();
    }
    if (latestBundle.get() == null) {
      observe(credentials.bundle());
    }
  }

  /** The newest trust bundle the server sent, if any. */
  public Optional<TrustBundle> currentBundle() {
    return Optional.ofNullable(latestBundle.get());
  }

  /** Calls {@code listener} with every bundle that differs from the one before it (not the first; on the receiving thread). */
  public void onBundleChange(java.util.function.Consumer<TrustBundle> listener) {
    bundleListeners.add(listener);
  }

  private volatile java.util.Set<String> tainted = java.util.Set.of();

  /**
   * The key identifiers of intermediates the server declared compromised (from the revocation
   * feed): the current bundle is marked with them and, when they changed, every listener hears of
   * it, so the sinks replace what those CAs signed.
   */
  public void taintedIssuers(java.util.Set<String> keyIds) {
    if (keyIds.equals(tainted)) {
      return;
    }
    tainted = java.util.Set.copyOf(keyIds);
    TrustBundle current = latestBundle.get();
    if (current != null) {
      TrustBundle marked = current.withTainted(tainted);
      latestBundle.set(marked);
      for (var l : bundleListeners) {
        l.accept(marked);
      }
    }
  }

  private void observe(TrustBundle received) {
    TrustBundle bundle = received.withTainted(tainted);
    TrustBundle old = latestBundle.getAndSet(bundle);
    if (old != null && !bundle.sameAs(old)) {
      for (var l : bundleListeners) {
        l.accept(bundle);
      }
    }
  }

  /** {@code POST /agent/v1/attest}: {@code method} is {@code k8s} or {@code join}. */
  public Issued attest(String method, String token, String csrPem) throws ApiError {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("method", method);
    body.put("token", token);
    body.put("csr", csrPem);
    return issued(anonymous, "/agent/v1/attest", body, Map.of());
  }

  /** {@code POST /agent/v1/renew} with the current agent certificate. */
  public Issued renew(String csrPem) throws ApiError {
    return issued(mtls(), "/agent/v1/renew", Map.of("csr", csrPem), Map.of());
  }

  /**
   * {@code POST /agent/v1/workloads/sign}; {@code ttl} null for the profile's default;
   * {@code currentNotAfter} (null if none) is sent as {@value #CURRENT_NOT_AFTER} so that a
   * server shedding load serves the soonest-expiring first.
   */
  public Issued signWorkload(String csrPem, String spiffeId, List<String> dnsNames, Duration ttl, String target,
      Instant currentNotAfter) throws ApiError {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", csrPem);
    body.put("spiffeId", spiffeId);
    if (target != null) {
      body.put("target", target);
    }
    if (!dnsNames.isEmpty()) {
      body.put("dnsNames", dnsNames);
    }
    if (ttl != null) {
      body.put("ttlSeconds", ttl.toSeconds());
    }
    return issued(mtls(), "/agent/v1/workloads/sign", body,
        currentNotAfter == null ? Map.of() : Map.of(CURRENT_NOT_AFTER, currentNotAfter.toString()));
  }

  /** {@code GET /agent/v1/bundle}. */
  public TrustBundle bundle() throws ApiError {
    Session s = session;
    HttpResponse<byte[]> r = send(s == null ? anonymous : s.http(), HttpRequest.newBuilder(server.resolve("/agent/v1/bundle")).GET());
    JsonNode json = json(r);
    if (r.statusCode() != 200) {
      throw problem(r, json);
    }
    try {
      TrustBundle b = TrustBundle.parse(json.path("bundle").asText(""));
      observe(b);
      return b;
    } catch (PkiException e) {
      throw new ApiError(ApiError.Kind.UNAVAILABLE, r.statusCode(), null, "the server's bundle does not parse: " + e.getMessage(), null);
    }
  }

  /** The keep-alive mTLS client of the current agent certificate, once attested (the proxy's revocation feed uses it). */
  public Optional<HttpClient> mtlsClient() {
    Session s = session;
    return s == null ? Optional.empty() : Optional.of(s.http());
  }

  private HttpClient mtls() throws ApiError {
    Session s = session;
    if (s == null) {
      throw new ApiError(ApiError.Kind.UNAUTHENTICATED, 0, null, "no agent certificate yet (not attested)", null);
    }
    return s.http();
  }

  private Issued issued(HttpClient http, String path, Map<String, Object> body, Map<String, String> headers) throws ApiError {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
    headers.forEach(request::header);
    HttpResponse<byte[]> r = send(http, request);
    JsonNode json = json(r);
    if (r.statusCode() != 201 && r.statusCode() != 200) {
      throw problem(r, json);
    }
    try {
      Issued issued = Issued.fromJson(json, clock.instant());
      observe(issued.bundle());
      return issued;
    } catch (PkiException e) {
      // A response we cannot use is the server's fault; treat like an outage and retry later.
      throw new ApiError(ApiError.Kind.UNAVAILABLE, r.statusCode(), null, "unusable certificate response: " + e.getMessage(), null);
    }
  }

  private HttpResponse<byte[]> send(HttpClient http, HttpRequest.Builder request) throws ApiError {
    try {
      return http.send(request.timeout(timeout).header("Accept", "application/json").build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw ApiError.unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.unreachable(e);
    }
  }

  private static JsonNode json(HttpResponse<byte[]> r) {
    byte[] b = r.body();
    if (b == null || b.length == 0 || b.length > MAX_BODY) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(b);
    } catch (IOException e) {
      return JSON.createObjectNode();
    }
  }

  private ApiError problem(HttpResponse<byte[]> r, JsonNode json) {
    String type = json.path("type").isTextual() ? json.path("type").asText() : null;
    String detail = json.path("detail").isTextual() ? json.path("detail").asText()
        : json.path("title").isTextual() ? json.path("title").asText() : null;
    return ApiError.ofStatus(r.statusCode(), type, detail,
        ApiError.parseRetryAfter(r.headers().firstValue("Retry-After").orElse(null), clock.instant()));
  }

  private HttpClient newHttpClient(Credentials credentials) {
    try {
      List<X509Certificate> anchors = new ArrayList<>(bootstrapAnchors);
      if (credentials != null) {
        anchors.addAll(credentials.bundle().anchors());
      }
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (X509Certificate c : anchors) {
        trust.setCertificateEntry("anchor-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      KeyManager[] keys = credentials == null ? null : new KeyManager[] {new FixedKeyManager(credentials)};
      tls.init(keys, tmf.getTrustManagers(), null);
      return HttpClient.newBuilder()
          .sslContext(tls)
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(timeout)
          .build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the TLS context for the server connection", e);
    }
  }

  @Override
  public synchronized void close() {
    anonymous.shutdownNow();
    if (session != null) {
      session.http().shutdownNow();
      session = null;
    }
  }

  /** Always offers the agent certificate, whatever CA names the server lists (the server only "wants" one). */
  private static final class FixedKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "agent";
    private final Credentials credentials;

    FixedKeyManager(Credentials credentials) {
      this.credentials = credentials;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return credentials.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return credentials.key();
    }
  }

  /** The base URL, for messages. */
  public URI server() {
    return server;
  }

}
