package dev.rotor.load;

import dev.rotor.pki.CryptoProviders;
import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code rotor-load crd}: the CertificateRequest controller end to end, in one process. It starts
 * fabric8's Kubernetes mock API server (CRUD mode, with the chart's CRDs) and a real Rotor server
 * (embedded PostgreSQL in a temporary directory) whose controller watches it; creates
 * {@code --requests} CertificateRequests for a {@code rotor.dev} Issuer; approves them all as
 * fast as {@code --clients} threads can; and measures, per request, the time from its approval
 * being accepted by the API server to a watch seeing its {@code Ready=True}.
 */
final class CrdCommand {

  static final String USAGE =
      """
      usage: rotor-load crd [--requests N] [--clients N] [--workers N] [--timeout 300s]

      Starts a Kubernetes mock API server and a Rotor server (embedded PostgreSQL) in this
      process, creates N CertificateRequests, approves them all at once and reports the
      approval-to-Ready latency (p50, p99, max) and the requests per second.

        --requests N   CertificateRequests to create and approve (default 1000)
        --clients N    threads creating and approving them (default 8)
        --workers N    the controller's ROTOR_CRD_WORKERS (default 8)
        --timeout D    give up if not all are Ready after D (default 300s)
      """;

  private static final ResourceDefinitionContext REQUESTS = new ResourceDefinitionContext.Builder()
      .withGroup("cert-manager.io").withVersion("v1").withKind("CertificateRequest")
      .withPlural("certificaterequests").withNamespaced(true).build();
  private static final ResourceDefinitionContext ISSUERS = new ResourceDefinitionContext.Builder()
      .withGroup("rotor.dev").withVersion("v1alpha1").withKind("Issuer").withPlural("issuers")
      .withNamespaced(true).build();
  private static final String NS = "bench";
  /** The mock server logs every request through java.util.logging at INFO: measurable noise. Held so it stays configured. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  record Options(int requests, int clients, int workers, Duration timeout) {
    static Options parse(String[] args) throws UsageException {
      int requests = 1000;
      int clients = 8;
      int workers = 8;
      Duration timeout = Duration.ofSeconds(300);
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) {
          throw new UsageException("option " + a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--requests" -> requests = positive(a, v);
          case "--clients" -> clients = positive(a, v);
          case "--workers" -> workers = positive(a, v);
          case "--timeout" -> timeout = DurationArg.parse(a, v);
          default -> throw new UsageException("unknown option " + a);
        }
      }
      return new Options(requests, clients, workers, timeout);
    }

    private static int positive(String option, String value) throws UsageException {
      try {
        int n = Integer.parseInt(value);
        if (n < 1) {
          throw new UsageException(option + " must be at least 1");
        }
        return n;
      } catch (NumberFormatException e) {
        throw new UsageException(option + " must be a number, got " + value);
      }
    }
  }

  /** The measured figures. */
  record Result(int requests, int ready, long p50Micros, long p99Micros, long maxMicros, double perSecond,
      long certificates, double approveSeconds) {}

  private final Options options;
  private final PrintStream out;

  CrdCommand(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  int run() throws Exception {
    Result r = measure();
    out.printf(Locale.ROOT, "crd: %d requests, %d Ready, %d certificates recorded%n", r.requests(), r.ready(), r.certificates());
    out.printf(Locale.ROOT, "approved -> Ready latency: p50 %.1f ms  p99 %.1f ms  max %.1f ms%n",
        r.p50Micros() / 1000.0, r.p99Micros() / 1000.0, r.maxMicros() / 1000.0);
    out.printf(Locale.ROOT, "throughput: %.0f requests/s (first approval to last Ready); approving all took %.1f s%n",
        r.perSecond(), r.approveSeconds());
    out.printf(Locale.ROOT, "machine: %d cores; the mock API server, the controller, PostgreSQL and this driver share them%n",
        Runtime.getRuntime().availableProcessors());
    return r.ready() == r.requests() && r.certificates() == r.requests() ? 0 : 1;
  }

  Result measure() throws Exception {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    Path data = Files.createTempDirectory("rotor-load-crd-");
    KubernetesMockServer kube = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    kube.init();
    try (KubernetesClient client = kube.createClient()) {
      createCrds(client);
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("ROTOR_DATA_DIR", data.toString());
      settings.put("ROTOR_HTTPS_PORT", 0);
      settings.put("ROTOR_HTTP_PORT", 0);
      settings.put("ROTOR_BIND", "127.0.0.1");
      settings.put("ROTOR_ADMIN_TOKEN", "rotor_load-crd-admin-token-0123456789abcdef");
      settings.put("ROTOR_KUBERNETES", "off");
      settings.put("ROTOR_CRD_WORKERS", options.workers());
      try (KubernetesClient serverClient = kube.createClient();
           RotorServer server = RotorServer.start(ServerConfig.fromMap(settings), serverClient)) {
        return drive(client, server);
      }
    } finally {
      kube.destroy();
      try (Stream<Path> files = Files.walk(data)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private Result drive(KubernetesClient client, RotorServer server) throws Exception {
    int n = options.requests();
    client.genericKubernetesResources(ISSUERS).inNamespace(NS).resource(new GenericKubernetesResourceBuilder()
        .withApiVersion("rotor.dev/v1alpha1").withKind("Issuer").withNewMetadata().withNamespace(NS).withName("bench")
        .endMetadata().addToAdditionalProperties("spec", Map.of("profile", "workload")).build()).create();

    Provider provider = CryptoProviders.signing();
    KeyPairGenerator kpg = CsrPool.keyPairGenerator(provider);
    List<String> requests = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String pem = CsrPool.pem(CsrPool.create(kpg.generateKeyPair(), "spiffe://rotor.local/ns/" + NS + "/sa/w" + i, provider));
      requests.add(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    Map<String, Long> approvedAt = new ConcurrentHashMap<>();
    Map<String, Long> readyAt = new ConcurrentHashMap<>();
    SharedIndexInformer<GenericKubernetesResource> watch = client.genericKubernetesResources(REQUESTS).inNamespace(NS)
        .inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(GenericKubernetesResource obj) {
            check(obj);
          }

          @Override
          public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
            check(newObj);
          }

          @Override
          public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {}

          private void check(GenericKubernetesResource cr) {
            if (isReady(cr)) {
              readyAt.putIfAbsent(cr.getMetadata().getName(), System.nanoTime());
            }
          }
        }, 0);
    ExecutorService pool = Executors.newFixedThreadPool(options.clients(), Thread.ofPlatform().name("crd-client-", 0).factory());
    try {
      // Created first, unapproved: the controller leaves them alone.
      forAll(pool, n, i -> client.genericKubernetesResources(REQUESTS).inNamespace(NS).resource(request(i, requests.get(i))).create());
      long t0 = System.nanoTime();
      forAll(pool, n, i -> {
        GenericKubernetesResource cr = client.genericKubernetesResources(REQUESTS).inNamespace(NS).withName("bench-" + i).get();
        cr.getAdditionalProperties().put("status", Map.of("conditions", List.of(Map.of("type", "Approved", "status", "True",
            "reason", "rotor-load", "message", "approved by rotor-load", "lastTransitionTime", Instant.now().toString()))));
        client.genericKubernetesResources(REQUESTS).inNamespace(NS).resource(cr).updateStatus();
        approvedAt.put("bench-" + i, System.nanoTime());
      });
      double approveSeconds = (System.nanoTime() - t0) / 1e9;
      long deadline = t0 + options.timeout().toNanos();
      while (readyAt.size() < n && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Histogram latency = new Histogram(3_600_000_000L, 3);
      long last = t0;
      int ready = 0;
      for (Map.Entry<String, Long> e : approvedAt.entrySet()) {
        Long done = readyAt.get(e.getKey());
        if (done != null) {
          ready++;
          last = Math.max(last, done);
          latency.recordValue(Math.max(0, (done - e.getValue()) / 1000));
        }
      }
      double seconds = (last - t0) / 1e9;
      return new Result(n, ready, latency.getValueAtPercentile(50), latency.getValueAtPercentile(99), latency.getMaxValue(),
          seconds > 0 ? ready / seconds : 0, certificates(server), approveSeconds);
    } finally {
      pool.shutdownNow();
      watch.close();
    }
  }

  private static boolean isReady(GenericKubernetesResource cr) {
    if (cr.getAdditionalProperties().get("status") instanceof Map<?, ?> status && status.get("conditions") instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> c && "Ready".equals(c.get("type")) && "True".equals(c.get("status"))) {
          return true;
        }
      }
    }
    return false;
  }

  private static GenericKubernetesResource request(int i, String request) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("request", request);
    spec.put("issuerRef", Map.of("group", "rotor.dev", "kind", "Issuer", "name", "bench"));
    spec.put("usages", List.of("digital signature", "server auth", "client auth"));
    spec.put("username", "system:serviceaccount:cert-manager:cert-manager");
    return new GenericKubernetesResourceBuilder().withApiVersion("cert-manager.io/v1").withKind("CertificateRequest")
        .withNewMetadata().withNamespace(NS).withName("bench-" + i).endMetadata().addToAdditionalProperties("spec", spec).build();
  }

  private interface Step {
    void run(int i) throws Exception;
  }

  private static void forAll(ExecutorService pool, int n, Step step) throws Exception {
    List<Future<?>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = i;
      futures.add(pool.submit(() -> {
        step.run(k);
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
  }

  private static long certificates(RotorServer server) throws Exception {
    try (Connection c = server.database().connection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM certificate_requests r JOIN certificates c USING (serial)"
             + " WHERE c.channel = 'crd'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The chart's Issuer CRDs (packaged from charts/rotor/crds) and the shape of cert-manager's CertificateRequest CRD. */
  private static void createCrds(KubernetesClient client) throws Exception {
    for (String name : List.of("issuers.rotor.dev.yaml", "clusterissuers.rotor.dev.yaml")) {
      try (InputStream in = CrdCommand.class.getResourceAsStream("/crds/" + name)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + name + " is not packaged in rotor-load");
        }
        client.apiextensions().v1().customResourceDefinitions().load(in).create();
      }
    }
    CustomResourceDefinition certificateRequests = new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName("certificaterequests.cert-manager.io").endMetadata()
        .withNewSpec().withGroup("cert-manager.io").withScope("Namespaced")
          .withNewNames().withKind("CertificateRequest").withListKind("CertificateRequestList")
            .withPlural("certificaterequests").withSingular("certificaterequest").endNames()
          .addNewVersion().withName("v1").withServed(true).withStorage(true)
            .withNewSubresources().withNewStatus().endStatus().endSubresources()
            .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
            .endOpenAPIV3Schema().endSchema()
          .endVersion()
        .endSpec().build();
    client.apiextensions().v1().customResourceDefinitions().resource(certificateRequests).create();
  }
}
