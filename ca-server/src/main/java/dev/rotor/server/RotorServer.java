package dev.rotor.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.KeyType;
import dev.rotor.pki.NameForm;
import dev.rotor.pki.NamePolicy;
import dev.rotor.pki.Pkcs11Token;
import dev.rotor.pki.Profile;
import dev.rotor.pki.Usage;
import dev.rotor.server.acme.AcmeApi;
import dev.rotor.server.acme.AcmeStore;
import dev.rotor.server.agent.AgentApi;
import dev.rotor.server.agent.AgentAuthenticator;
import dev.rotor.server.agent.AgentTargets;
import dev.rotor.server.agent.BundleConfigMap;
import dev.rotor.server.agent.KubernetesAttestor;
import dev.rotor.server.agent.PodPolicy;
import dev.rotor.server.agent.StaticPolicy;
import dev.rotor.server.agent.WorkloadPolicy;
import dev.rotor.server.api.PublicApi;
import dev.rotor.server.api.ActivityApi;
import dev.rotor.server.api.AdmissionGate;
import dev.rotor.server.api.OverviewApi;
import dev.rotor.server.api.RestApi;
import dev.rotor.server.api.SessionApi;
import dev.rotor.server.api.Sessions;
import dev.rotor.server.api.Router;
import dev.rotor.server.api.TokenAuthenticator;
import dev.rotor.server.ca.CaBootstrap;
import dev.rotor.server.ca.CaKeyHealth;
import dev.rotor.server.api.CaApi;
import dev.rotor.server.ca.CaRotation;
import dev.rotor.server.ca.CaSlots;
import dev.rotor.server.ca.CertificateAuthority;
import dev.rotor.server.ca.ServerCertificate;
import dev.rotor.server.issuance.BlockedKeys;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.api.TlsHandshakeTimeout;
import dev.rotor.server.lint.CheckApi;
import dev.rotor.server.lint.StoredCertificateChecker;
import dev.rotor.server.issuance.PrecertificateRecovery;
import dev.rotor.server.issuance.IssuanceStats;
import dev.rotor.server.k8s.CertificateRequestController;
import dev.rotor.server.k8s.CertificateRequestReconciler;
import dev.rotor.server.k8s.LeaderElection;
import dev.rotor.server.revocation.CrlPublisher;
import dev.rotor.server.revocation.OcspService;
import dev.rotor.server.revocation.RevocationFeed;
import dev.rotor.server.revocation.RevocationService;
import dev.rotor.server.store.Database;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgAuditLog;
import dev.rotor.server.store.PgBlockedKeyStore;
import dev.rotor.server.store.PgCertificateStore;
import dev.rotor.server.store.PgJoinTokenStore;
import dev.rotor.server.store.PgActivityStore;
import dev.rotor.server.store.PgOverviewStore;
import dev.rotor.server.store.PgSessionStore;
import dev.rotor.server.store.PgTokenStore;
import dev.rotor.server.ui.UiAssets;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA server's composition root: builds every part from the configuration, by constructor
 * injection, and owns their lifecycle. {@link #start} is what {@code main} and the tests call.
 */
public final class RotorServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RotorServer.class);
  /** Name of the Lease that elects the replica running the CertificateRequest controller. */
  static final String CRD_LEASE = "rotor-crd-controller";
  /** HTTPS keep-alive idle limit: above the revocation feed's 55 s long poll. */
  public static final Duration HTTPS_IDLE_TIMEOUT = Duration.ofSeconds(65);
  /** A TLS handshake idle for this long is dropped (slow loris); see {@link TlsHandshakeTimeout}. */
  public static final Duration TLS_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  /** JSON nesting limit for every body parsed (REST, agent, ACME); Rotor's bodies nest 3 deep. */
  public static final int MAX_JSON_DEPTH = 32;

  private final ServerConfig config;
  private final Database database;
  private final Journal journal;
  private final CaSlots ca;
  private final ServerCertificate serverCertificate;
  private final Server jetty;
  private final Optional<String> generatedAdminToken;
  private final Optional<LeaderElection> crdController;
  /** What {@link #start} opened, in order; closed in reverse after Jetty stops. */
  private final List<AutoCloseable> parts;
  private boolean closed;

  private RotorServer(ServerConfig config, Database database, Journal journal, CaSlots ca,
      ServerCertificate serverCertificate, Server jetty, Optional<String> generatedAdminToken,
      Optional<LeaderElection> crdController, List<AutoCloseable> parts) {
    this.crdController = crdController;
    this.parts = List.copyOf(parts);
    this.config = config;
    this.database = database;
    this.journal = journal;
    this.ca = ca;
    this.serverCertificate = serverCertificate;
    this.jetty = jetty;
    this.generatedAdminToken = generatedAdminToken;
  }

  public static void main(String[] args) {
    if (AuditVerifyCommand.matches(args)) {
      System.exit(AuditVerifyCommand.run(java.util.Arrays.copyOfRange(args, 2, args.length), System.getenv(), System.out,
          System.err));
      return;
    }
    ServerConfig config;
    try {
      config = ServerConfig.load(args, System.getenv());
    } catch (Exception e) {
      System.err.println("rotor: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      RotorServer server = start(config);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "rotor-shutdown"));
      server.printBanner();
    } catch (Exception e) {
      log.error("rotor failed to start: {}", e.getMessage(), e);
      System.err.println("rotor: failed to start: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Starts everything, with Kubernetes as {@code ROTOR_KUBERNETES} says; on failure, stops what was started and rethrows. */
  public static RotorServer start(ServerConfig requested) throws Exception {
    KubernetesClient kubernetes = switch (requested.agents().kubernetes()) {
      case OFF -> null;
      case ON -> new KubernetesClientBuilder().build();
      case AUTO -> System.getenv("KUBERNETES_SERVICE_HOST") == null ? null : new KubernetesClientBuilder().build();
    };
    try {
      return start(requested, kubernetes, kubernetes);
    } catch (Exception | Error e) {
      if (kubernetes != null) {
        kubernetes.close();
      }
      throw e;
    }
  }

  /** Starts everything with the given Kubernetes client (tests: the mock server's), which the caller keeps owning. */
  public static RotorServer start(ServerConfig requested, KubernetesClient kubernetes) throws Exception {
    return start(requested, kubernetes, null);
  }

  private static RotorServer start(ServerConfig requested, KubernetesClient kubernetes, KubernetesClient owned) throws Exception {
    if (requested.crd().mode() == ServerConfig.KubernetesMode.ON && kubernetes == null) {
      throw new IllegalArgumentException("ROTOR_CRD_CONTROLLER=on needs the Kubernetes API (ROTOR_KUBERNETES=on, or running in a cluster)");
    }
    CryptoProviders.installForTls();
    Clock clock = Clock.systemUTC();
    Files.createDirectories(requested.dataDir());
    if (requested.dataDir().getFileSystem().supportedFileAttributeViews().contains("posix")) {
      // The data dir holds the database and the CA passphrase: owner only.
      Files.setPosixFilePermissions(requested.dataDir(), PosixFilePermissions.fromString("rwx------"));
    }
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(prometheus);
    new JvmThreadMetrics().bindTo(prometheus);
    new ProcessorMetrics().bindTo(prometheus);
    Metrics metrics = new Metrics(prometheus);
    ObjectMapper json = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_DEPTH).build()).build());

    List<AutoCloseable> started = new ArrayList<>();
    try {
      // Bind the ports first: with port 0 (tests) the URLs baked into certificates need the real port.
      QueuedThreadPool threads = new QueuedThreadPool(256, 8);
      threads.setName("rotor-http");
      Server jetty = new Server(threads);
      HttpConfiguration httpConfig = new HttpConfiguration();
      httpConfig.setSendServerVersion(false);
      httpConfig.setSendDateHeader(true);
      // Jetty keeps a header-field cache per connection, 1,024 trie rows by default: ~100 KB of
      // heap for each keep-alive connection, 1 GB for 10,000 agents, whose copying made G1's pauses
      // the fleet's p99. Requests here carry a handful of headers; parsing them afresh is cheaper.
      httpConfig.setHeaderCacheSize(0);
      // OCSP GET requests carry base64, whose '/' some clients percent-encode (RFC 6960 A.1).
      httpConfig.setUriCompliance(UriCompliance.DEFAULT.with("rotor-ocsp", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR));
      HttpConfiguration httpsConfig = new HttpConfiguration(httpConfig);
      httpsConfig.addCustomizer(new SecureRequestCustomizer());
      ServerConnector http = new ServerConnector(jetty, new HttpConnectionFactory(httpConfig));
      http.setHost(requested.bind());
      http.setPort(requested.httpPort());
      http.setName("http");
      http.open();
      started.add(http::close);

      Database database = Database.open(new Database.Settings(requested.dbUrl(), requested.dbUser(), requested.dbPassword(),
          requested.dataDir(), requested.dbPoolSize()), prometheus);
      started.add(database);
      Journal journal = new Journal(database.dataSource(), clock, prometheus);
      started.add(journal);

      ServerConfig config = requested.withPorts(requested.httpsPort(), http.getLocalPort());
      Optional<Pkcs11Token> token = config.pkcs11().map(p -> Pkcs11Token.open(p.library(), p.slot().orElse(null), p.pin().toCharArray()));
      CaBootstrap bootstrap = new CaBootstrap(config, database.dataSource(), journal, clock, token);
      CertificateAuthority initial = bootstrap.start();
      // An imported CA is the operator's to rotate; a generated one rotates on its schedule.
      Optional<CaRotation> rotation = config.importsCa() ? Optional.empty()
          : Optional.of(new CaRotation(bootstrap, database.dataSource(), journal, clock));
      CaSlots ca = new CaSlots(bootstrap, initial, rotation, database.dataSource(), config.caRotationPoll());
      started.add(ca);
      // A CA key in a PKCS#11 token: probe the active issuing key (readiness caKey, re-login).
      Optional<CaKeyHealth> caKeyHealth = token.map(t -> new CaKeyHealth(t, () -> ca.current().issuing()).start(Duration.ofSeconds(5)));
      caKeyHealth.ifPresent(started::add);

      PgCertificateStore certificates = new PgCertificateStore(database.dataSource());
      PgTokenStore tokens = new PgTokenStore(database.dataSource());
      PgAuditLog audit = new PgAuditLog(database.dataSource());
      NamePolicy policy = new NamePolicy(config.trustDomain(), config.permittedDns(), config.permittedIps());
      List<String> serverDns = new ArrayList<>(config.permittedDns());
      serverDns.addAll(config.dnsHostnames());
      Profile serverProfile = new Profile(ServerCertificate.PROFILE, EnumSet.of(NameForm.DNS, NameForm.IP),
          EnumSet.of(KeyType.EC_P256), config.serverCertTtl(), Duration.ofSeconds(1), config.serverCertTtl(),
          EnumSet.of(Usage.SERVER_AUTH), "", false, 100);
      PgBlockedKeyStore blockedKeyStore = new PgBlockedKeyStore(database.dataSource());
      BlockedKeys blockedKeys = new BlockedKeys(blockedKeyStore, Duration.ofSeconds(5));
      started.add(blockedKeys);
      // The server's own certificate names 127.0.0.1 and ROTOR_HOSTNAMES whatever ROTOR_PERMITTED_IPS says.
      IssuanceService issuance = new IssuanceService(ca, config.profiles(), policy, serverProfile,
          new NamePolicy(config.trustDomain(), serverDns), journal, certificates, blockedKeys, clock, metrics,
          config.publicHttpUrl());
      started.add(new PrecertificateRecovery(journal, certificates, clock, config.precertGrace()).start());
      CrlPublisher crl = new CrlPublisher(ca, certificates, clock, config.crlValidity());
      RevocationService revocation = new RevocationService(journal, certificates, blockedKeyStore, blockedKeys, crl, metrics);
      RevocationFeed revocationFeed = new RevocationFeed(certificates, clock, json, Duration.ofSeconds(1));
      started.add(revocationFeed);
      revocation.onRevoked(revocationFeed::invalidate);
      revocationFeed.taintedIssuersFrom(() -> ca.current().taintedKeyIds());
      ca.onChange(snapshot -> revocationFeed.invalidate());
      OcspService ocsp = new OcspService(ca, certificates, clock, config.crlValidity());

      Map<String, BooleanSupplier> readiness = new LinkedHashMap<>();
      Optional<String> generatedToken = bootstrapAdminToken(config, tokens, journal, json);

      List<WorkloadPolicy> policies = new ArrayList<>();
      Optional<KubernetesAttestor> attestor = Optional.empty();
      if (kubernetes != null) {
        PodPolicy pods = new PodPolicy(kubernetes, config.trustDomain()).start();
        started.add(pods);
        policies.add(pods);
        readiness.put("podCache", pods::isSynced);
        ServerConfig.Agents a = config.agents();
        attestor = Optional.of(new KubernetesAttestor(kubernetes, a.namespace(), a.serviceAccount(), a.audience()));
        started.add(new BundleConfigMap(kubernetes, a.namespace(), () -> ca.current().bundlePem()).start(Duration.ofMinutes(1)));
      }
      if (config.agents().staticPolicy().isPresent()) {
        policies.add(StaticPolicy.load(config.agents().staticPolicy().get(), config.trustDomain()));
      }
      if (owned != null) {
        started.add(owned::close);
      }
      Optional<LeaderElection> crdController = Optional.empty();
      if (kubernetes != null && config.crd().mode() != ServerConfig.KubernetesMode.OFF) {
        // Closed before the client (parts close in reverse): stops reconciling and releases the Lease.
        CertificateRequestController controller = new CertificateRequestController(kubernetes,
            new CertificateRequestReconciler(issuance, certificates, ca, journal), issuance.profiles().keySet(),
            config.crd().workers(), clock);
        LeaderElection election = new LeaderElection(kubernetes, config.crd().leaseNamespace(), CRD_LEASE,
            leaseIdentity(), controller).start();
        started.add(election);
        crdController = Optional.of(election);
      }

      ServerCertificate serverCertificate = new ServerCertificate(issuance, ca, config.hostnames(), clock, metrics);
      started.add(serverCertificate);
      ca.onChange(serverCertificate::caChanged);
      ServerConnector https = new ServerConnector(jetty, new SslConnectionFactory(serverCertificate.start(), "http/1.1"),
          new HttpConnectionFactory(httpsConfig));
      https.setHost(config.bind());
      https.setPort(config.httpsPort());
      https.setName("https");
      // Agents long-poll the revocation feed for up to 55 s on keep-alive connections.
      https.setIdleTimeout(HTTPS_IDLE_TIMEOUT.toMillis());
      https.addBean(new TlsHandshakeTimeout(TLS_HANDSHAKE_TIMEOUT, HTTPS_IDLE_TIMEOUT));
      // A herd of reconnecting agents: queue their connections in the kernel rather than refuse them.
      https.setAcceptQueueSize(requested.admission().acceptQueue());
      https.open();
      started.add(https::close);
      config = config.withPorts(https.getLocalPort(), http.getLocalPort());

      readiness.put("database", cached(database::isReachable, Duration.ofSeconds(2)));
      readiness.put("journal", journal::isHealthy);
      readiness.put("serverCertificate", serverCertificate::isValid);
      caKeyHealth.ifPresent(h -> readiness.put("caKey", h::isHealthy));
      PublicApi publicApi = new PublicApi(ca, crl, ocsp, prometheus, readiness);
      Sessions sessions = new Sessions(new PgSessionStore(database.dataSource()), clock, config.uiSessionIdle());
      TokenAuthenticator auth = new TokenAuthenticator(tokens, clock, sessions);
      RestApi rest = new RestApi(issuance, revocation, certificates, audit, tokens, journal, auth, ca, clock, json);
      IssuanceStats stats = new IssuanceStats(database.dataSource(), clock, Duration.ofSeconds(5));
      started.add(stats);
      issuance.recordStatsIn(stats);

      Router httpsRouter = new Router(json, metrics);
      rest.register(httpsRouter);
      new SessionApi(auth, sessions, journal, json).register(httpsRouter);
      AgentTargets agentTargets = new AgentTargets(database.dataSource(), clock, Duration.ofSeconds(5));
      started.add(agentTargets);
      new OverviewApi(auth, new PgOverviewStore(database.dataSource()), stats, agentTargets, issuance, ca, config.publicHttpUrl(), clock)
          .register(httpsRouter);
      new ActivityApi(auth, new PgActivityStore(database.dataSource()), json).register(httpsRouter);
      StoredCertificateChecker checker = new StoredCertificateChecker(certificates, issuance, metrics, clock).start();
      started.add(checker);
      new CheckApi(checker, auth).register(httpsRouter);
      if (rotation.isPresent()) {
        new CaApi(auth, rotation.get(), ca, json).register(httpsRouter);
      }
      UiAssets ui = new UiAssets();
      if (ui.available()) {
        ui.register(httpsRouter);
      }
      new AgentApi(issuance, ca, journal, new PgJoinTokenStore(), auth, new AgentAuthenticator(certificates, revocationFeed::isRevoked, config.trustDomain(), clock),
          attestor, WorkloadPolicy.anyOf(policies), revocationFeed, agentTargets, config.trustDomain(), clock, metrics, json).register(httpsRouter);
      if (config.acme().enabled()) {
        AcmeApi acme = new AcmeApi(new AcmeStore(database.dataSource(), json), config.acme(), issuance, revocation, certificates, ca,
            journal, auth, policy, clock, metrics, json);
        started.add(acme);
        acme.register(httpsRouter);
      }
      publicApi.registerCommon(httpsRouter);
      Router httpRouter = new Router(json, metrics);
      publicApi.registerHttp(httpRouter);

      jetty.addConnector(http);
      jetty.addConnector(https);
      AdmissionGate gate = new AdmissionGate(httpsRouter, config.admission().gate(), json, clock);
      metrics.admission(gate);
      jetty.setHandler(new ContextHandlerCollection(onConnector("https", gate), onConnector("http", httpRouter)));
      jetty.setStopTimeout(5_000);
      jetty.start();
      ca.start();
      log.info("rotor started https={} http={} trustDomain={} crypto={}", https.getLocalPort(), http.getLocalPort(),
          config.trustDomain(), CryptoProviders.signing().getName());
      return new RotorServer(config, database, journal, ca, serverCertificate, jetty, generatedToken, crdController, started);
    } catch (Exception | Error e) {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** The pod name (HOSTNAME in Kubernetes) plus a random suffix, so a restarted pod is a new candidate. */
  private static String leaseIdentity() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()).orElse("rotor");
    return host + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  private static ContextHandler onConnector(String connector, Handler handler) {
    ContextHandler context = new ContextHandler(handler, "/");
    context.setVirtualHosts(List.of("@" + connector));
    return context;
  }

  /**
   * {@code ROTOR_ADMIN_TOKEN} becomes (or updates) the token named {@code admin}. Without it, the
   * very first start generates one, which the caller prints once; it is never stored in clear.
   */
  private static Optional<String> bootstrapAdminToken(ServerConfig config, PgTokenStore tokens, Journal journal, ObjectMapper json) {
    if (config.adminToken().isPresent()) {
      byte[] hash = TokenAuthenticator.hash(config.adminToken().get());
      journal.execute(tx -> {
        if (tokens.upsertAdmin(tx, "admin", hash)) {
          tx.audit("system", "token.created", "admin", json.writeValueAsString(Map.of("name", "admin", "role", "admin", "source", "ROTOR_ADMIN_TOKEN")));
        }
        return null;
      });
      return Optional.empty();
    }
    if (tokens.exists("admin")) {
      return Optional.empty();
    }
    String token = TokenAuthenticator.newToken();
    byte[] hash = TokenAuthenticator.hash(token);
    try {
      journal.execute(tx -> {
        tokens.create(tx, "admin", "admin", hash, "system");
        tx.audit("system", "token.created", "admin", json.writeValueAsString(Map.of("name", "admin", "role", "admin", "source", "generated")));
        return null;
      });
      return Optional.of(token);
    } catch (RotorException e) {
      if (e.code() == ErrorCode.CONFLICT) {
        return Optional.empty(); // another replica created it first
      }
      throw e;
    }
  }

  private static BooleanSupplier cached(BooleanSupplier check, Duration ttl) {
    AtomicLong until = new AtomicLong();
    boolean[] last = {false};
    return () -> {
      long now = System.nanoTime();
      if (now - until.get() < 0) {
        return last[0];
      }
      last[0] = check.getAsBoolean();
      until.set(now + ttl.toNanos());
      return last[0];
    };
  }

  private void printBanner() {
    String host = config.hostnames().isEmpty() ? "localhost" : config.hostnames().get(0);
    StringBuilder b = new StringBuilder();
    b.append("\nRotor CA server is running\n");
    b.append("  Admin UI:      https://").append(host).append(':').append(httpsPort()).append("/ui/\n");
    b.append("  API (HTTPS):   https://").append(host).append(':').append(httpsPort()).append("/api/v1/\n");
    b.append("  CRL/OCSP/CA:   ").append(config.publicHttpUrl()).append("/crl  /ocsp  /ca/bundle.pem\n");
    b.append("  Trust bundle:  curl -so rotor-ca.pem ").append(config.publicHttpUrl()).append("/ca/bundle.pem\n");
    if (generatedAdminToken.isPresent()) {
      b.append("  Admin token:   ").append(generatedAdminToken.get()).append("\n");
      b.append("                 (shown once, stored only as a hash: keep it now)\n");
    } else {
      b.append("  Admin token:   ").append(config.adminToken().isPresent() ? "from ROTOR_ADMIN_TOKEN" : "generated at first start (shown then)").append("\n");
    }
    b.append("  Data dir:      ").append(config.dataDir().toAbsolutePath().normalize()).append("\n");
    System.out.println(b);
    System.out.flush();
  }

  public int httpsPort() {
    return config.httpsPort();
  }

  public int httpPort() {
    return config.httpPort();
  }

  public ServerConfig config() {
    return config;
  }

  /** The CA hierarchy in force now. */
  public CertificateAuthority ca() {
    return ca.current();
  }

  /** The live CA reference (rotation state, lease). */
  public CaSlots caSlots() {
    return ca;
  }

  public ServerCertificate serverCertificate() {
    return serverCertificate;
  }

  public Database database() {
    return database;
  }

  /** The CertificateRequest controller's leader election, when the controller is on. */
  public Optional<LeaderElection> crdController() {
    return crdController;
  }

  /** The admin token generated at this (first) start, if one was. */
  public Optional<String> generatedAdminToken() {
    return generatedAdminToken;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      jetty.stop();
    } catch (Exception e) {
      log.warn("jetty stop failed error={}", e.toString());
    }
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (Exception e) {
        log.warn("close failed part={} error={}", i, e.toString());
      }
    }
    log.info("rotor stopped");
  }
}
