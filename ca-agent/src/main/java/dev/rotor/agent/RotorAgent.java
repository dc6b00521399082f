package dev.rotor.agent;

import dev.rotor.agent.api.AgentApiClient;
import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.api.TrustBundle;
import dev.rotor.agent.proxy.FileIdentitySource;
import dev.rotor.agent.proxy.IdentitySource;
import dev.rotor.agent.proxy.Proxy;
import dev.rotor.agent.proxy.ProxyMetrics;
import dev.rotor.agent.proxy.RevocationFollower;
import dev.rotor.agent.proxy.RevocationSet;
import dev.rotor.agent.renew.AgentRotator;
import dev.rotor.agent.renew.Backoff;
import dev.rotor.agent.renew.RenewalPolicy;
import dev.rotor.agent.sink.FileCredentialStore;
import dev.rotor.agent.sink.FileSink;
import dev.rotor.agent.sink.SecretSink;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's composition root: builds every part from an {@link AgentConfig} by constructor
 * injection and owns their lifecycle. {@code main} and the tests both go through {@link #start}.
 */
public final class RotorAgent implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RotorAgent.class);

  private final AgentApiClient api;
  private final AgentRotator rotator;
  private final Optional<FileSink> fileSink;
  private final Optional<SecretSink> secretSink;
  private final AgentEndpoint endpoint;
  private final AgentMetrics metrics;
  private final KubernetesClient ownedKubernetes;
  private final Optional<Proxy> proxy;
  private final Optional<RevocationFollower> follower;

  private RotorAgent(AgentApiClient api, AgentRotator rotator, Optional<FileSink> fileSink,
      Optional<SecretSink> secretSink, AgentEndpoint endpoint, AgentMetrics metrics, KubernetesClient ownedKubernetes,
      Optional<Proxy> proxy, Optional<RevocationFollower> follower) {
    this.proxy = proxy;
    this.follower = follower;
    this.api = api;
    this.rotator = rotator;
    this.fileSink = fileSink;
    this.secretSink = secretSink;
    this.endpoint = endpoint;
    this.metrics = metrics;
    this.ownedKubernetes = ownedKubernetes;
  }

  /** Entry point: {@code java -jar rotor-agent.jar [--config agent.yaml]}; exit 2 on bad configuration. */
  public static void main(String[] args) {
    AgentConfig config;
    try {
      config = AgentConfig.load(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("rotor-agent: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      RotorAgent agent = start(config, null);
      Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "rotor-agent-shutdown"));
    } catch (IllegalArgumentException e) {
      System.err.println("rotor-agent: " + e.getMessage());
      System.exit(2);
    } catch (Exception e) {
      log.error("cannot start the agent", e);
      System.exit(1);
    }
  }

  /**
   * Starts an agent.
   *
   * @param kubernetes the Kubernetes client to manage Secrets with (tests pass the mock server's);
   *     null to build one when {@link AgentConfig#kubernetes()} is set, and none otherwise. A
   *     client passed in is not closed by {@link #close()}.
   * @throws IllegalArgumentException when the CA bundle file does not hold certificates
   */
  public static RotorAgent start(AgentConfig config, KubernetesClient kubernetes) throws Exception {
    return start(config, kubernetes, true);
  }

  /**
   * As {@link #start(AgentConfig, KubernetesClient)}; {@code nodeFieldSelector} false watches all
   * pods and filters by node in the handler, for API servers (fabric8's mock) that cannot
   * evaluate {@code spec.nodeName} field selectors.
   */
  static RotorAgent start(AgentConfig config, KubernetesClient kubernetes, boolean nodeFieldSelector) throws Exception {
    Clock clock = Clock.systemUTC();
    Random random = new Random();
    List<X509Certificate> anchors = readAnchors(config.caBundle());
    log.info("starting {}", config);

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AgentMetrics metrics = new AgentMetrics(registry, clock);
    Backoff backoff = new Backoff(config.retryInitialDelay(), config.retryMaxDelay());
    AgentApiClient api = new AgentApiClient(config.server(), anchors, config.requestTimeout(), clock);
    AgentRotator rotator = new AgentRotator(api, config.attestation(), new FileCredentialStore(config.dataDir()),
        RenewalPolicy.HALF_LIFE, backoff, clock, random, metrics, config.node());

    // Sinks work once the agent holds a certificate, against the newest bundle the server sent.
    java.util.function.Supplier<Optional<TrustBundle>> bundle =
        () -> rotator.current().isPresent() ? api.currentBundle() : Optional.empty();
    // The proxy's identities are kept fresh like file-sink identities, in directories of the data dir.
    Map<String, Path> proxyDirs = new LinkedHashMap<>();
    for (String id : config.proxy().identities()) {
      proxyDirs.put(id, config.fileIdentities().getOrDefault(id, config.dataDir().resolve("proxy").resolve(directoryName(id))));
    }
    Map<String, Path> fileIdentities = new LinkedHashMap<>(config.fileIdentities());
    fileIdentities.putAll(proxyDirs);
    Optional<FileSink> fileSink = fileIdentities.isEmpty() ? Optional.empty()
        : Optional.of(new FileSink(fileIdentities, api::signWorkload, bundle, RenewalPolicy.HALF_LIFE, backoff,
            config.deniedRetry(), clock, random, metrics));

    KubernetesClient owned = null;
    KubernetesClient k8s = kubernetes;
    if (k8s == null && config.kubernetes()) {
      owned = new KubernetesClientBuilder().build();
      k8s = owned;
    }
    Optional<SecretSink> secretSink = Optional.empty();
    if (k8s != null) {
      String node = config.node().orElseThrow(() -> new IllegalArgumentException("the node name is required to manage Secrets"));
      secretSink = Optional.of(new SecretSink(k8s, node, api::signWorkload, bundle, RenewalPolicy.HALF_LIFE, backoff,
          config.resyncInterval(), config.deniedRetry(), clock, random, metrics, nodeFieldSelector, config.secretNamespaces()));
    }

    Optional<SecretSink> secrets = secretSink;
    AgentEndpoint endpoint = new AgentEndpoint(config.bind(), config.metricsPort(), registry, metrics::expired);
    Optional<Proxy> proxy = Optional.empty();
    // The revocation feed: revoked serials for the proxy, and the CA's tainted issuers for everyone.
    RevocationSet revoked = new RevocationSet();
    Optional<RevocationFollower> follower = Optional.of(new RevocationFollower(config.server(), () -> api.mtlsClient().orElse(null), revoked)
        .onTaintedIssuers(ids -> taintedIssuers(ids, api, rotator, random))
        .start());
    if (!proxyDirs.isEmpty()) {
      IdentitySource source = new FileIdentitySource(proxyDirs,
          () -> api.currentBundle().map(TrustBundle::anchors).orElse(List.of()));
      proxy = Optional.of(new Proxy(config.proxy(), source, revoked, new ProxyMetrics(registry), clock).start());
    }
    RotorAgent agent = new RotorAgent(api, rotator, fileSink, secretSink, endpoint, metrics, owned, proxy, follower);

    // Each new agent certificate: record its expiry; the first one lets the sinks start work.
    rotator.subscribe(c -> {
      metrics.certificateHeld(AgentMetrics.AGENT_TARGET, c.spiffeId().orElse("?"), c.notAfter());
      fileSink.ifPresent(FileSink::syncAll);
      secrets.ifPresent(SecretSink::syncAll);
    });
    // A changed trust bundle (CA rotation): every sink re-checks everything, so ca.crt and
    // bundle.pem follow, and certificates from a CA no longer trusted are replaced.
    api.onBundleChange(b -> {
      log.info("trust bundle changed anchors={}; re-checking every managed certificate", b.anchors().size());
      fileSink.ifPresent(FileSink::syncAll);
      secrets.ifPresent(SecretSink::syncAll);
    });
    secretSink.ifPresent(SecretSink::start);
    rotator.start();
    log.info("agent started metricsPort={}", endpoint.port());
    return agent;
  }

  /**
   * The server declared intermediates compromised: fetch the bundle now (it already lists the CA
   * that replaces them, so peers' new certificates are trusted before anyone presents one), then,
   * after 1 to 3 seconds of jitter (a fleet does not arrive at once), mark the bundle so every
   * sink replaces what the tainted CAs signed, and renew the agent's own certificate if they signed it.
   */
  private static void taintedIssuers(java.util.Set<String> ids, AgentApiClient api, AgentRotator rotator, Random random) {
    if (ids.isEmpty() && api.currentBundle().map(b -> b.tainted().isEmpty()).orElse(true)) {
      return;
    }
    try {
      api.bundle();
    } catch (dev.rotor.agent.api.ApiError e) {
      log.warn("cannot refresh the trust bundle after a CA taint: {}", e.getMessage());
    }
    long jitterMs = ids.isEmpty() ? 0 : 1000 + random.nextInt(2000);
    Thread.ofVirtual().name("rotor-taint").start(() -> {
      try {
        Thread.sleep(jitterMs);
      } catch (InterruptedException e) {
        return;
      }
      log.info("ca tainted issuers={}; replacing every certificate they signed", ids);
      api.taintedIssuers(ids);
      rotator.current().ifPresent(c -> {
        if (api.currentBundle().map(b -> b.isTaintedIssuer(c.leaf())).orElse(false)) {
          rotator.renewSoon(Duration.ZERO);
        }
      });
    });
  }

  private static List<X509Certificate> readAnchors(Path file) throws IOException {
    try {
      return Pem.parseCertificates(Files.readString(file));
    } catch (PkiException e) {
      throw new IllegalArgumentException("ROTOR_AGENT_CA_BUNDLE " + file + " holds no usable certificate: " + e.getMessage());
    }
  }

  /** The port of {@code /metrics} and {@code /healthz}. */
  public int metricsPort() {
    return endpoint.port();
  }

  /** The agent's current credentials, if attested. */
  public Optional<Credentials> credentials() {
    return rotator.current();
  }

  /** Waits until the agent holds a certificate. */
  public boolean awaitAttested(Duration timeout) throws InterruptedException {
    return rotator.awaitCredentials(timeout);
  }

  /** The targets whose certificate has expired ({@code /healthz}). */
  public List<String> expired() {
    return metrics.expired();
  }

  /** The data-plane proxy, when the configuration has listeners. */
  public Optional<Proxy> proxy() {
    return proxy;
  }

  /** A directory name for a SPIFFE ID: readable, and unique through a short hash. */
  static String directoryName(String spiffeId) {
    String readable = spiffeId.replaceFirst("^spiffe://", "").replaceAll("[^A-Za-z0-9._-]", "_");
    if (readable.length() > 80) {
      readable = readable.substring(0, 80);
    }
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(spiffeId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return readable + "-" + java.util.HexFormat.of().formatHex(h, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    proxy.ifPresent(Proxy::close);
    follower.ifPresent(RevocationFollower::close);
    rotator.close();
    fileSink.ifPresent(FileSink::close);
    secretSink.ifPresent(SecretSink::close);
    try {
      endpoint.close();
    } catch (Exception e) {
      log.warn("stopping the metrics endpoint: {}", e.toString());
    }
    api.close();
    if (ownedKubernetes != null) {
      ownedKubernetes.close();
    }
  }
}
