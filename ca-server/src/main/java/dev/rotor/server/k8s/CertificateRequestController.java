package dev.rotor.server.k8s;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CertificateRequest controller: while this replica leads ({@link LeaderElection}), informers
 * on cert-manager's CertificateRequests and on our Issuers and ClusterIssuers feed a
 * {@link WorkQueue}; workers run {@link CertificateRequestReconciler#sync} and write what it
 * decided into the request's status, with a Kubernetes Event.
 *
 * <p>Kubernetes calls made here are listed in {@link KubernetesCalls}.
 */
public final class CertificateRequestController {

  private static final Logger log = LoggerFactory.getLogger(CertificateRequestController.class);
  private static final String COMPONENT = "rotor";

  /** What a queued key names. */
  enum Kind { CERTIFICATE_REQUEST, ISSUER, CLUSTER_ISSUER }

  record Key(Kind kind, String namespace, String name) {
    String storeKey() {
      return namespace == null ? name : namespace + "/" + name;
    }
  }

  /** The server's client; each term derives its own from it (see {@link Term#client}). */
  private final KubernetesClient serverClient;
  private final CertificateRequestReconciler reconciler;
  private final IssuerReconciler issuerReconciler;
  private final int workers;
  private final Clock clock;

  /** The state of one leadership term; null while not leading. */
  private Term term;

  public CertificateRequestController(KubernetesClient client, CertificateRequestReconciler reconciler,
      java.util.Set<String> profiles, int workers, Clock clock) {
    this.serverClient = client;
    this.reconciler = reconciler;
    this.issuerReconciler = new IssuerReconciler(profiles);
    this.workers = workers;
    this.clock = clock;
  }

  /** Starts the informers and workers (called on gaining the Lease); no-op when already leading. */
  public synchronized void startLeading() {
    if (term == null) {
      term = new Term();
    }
  }

  /** Stops reconciling (on losing the Lease, or at shutdown); in-flight work finishes first. */
  public void stopLeading() {
    Term t;
    synchronized (this) {
      t = term;
      term = null;
    }
    if (t != null) {
      t.stop();
    }
  }

  public synchronized boolean isLeading() {
    return term != null;
  }

  /** Informers, queue and workers of one leadership term. */
  private final class Term implements CertificateRequestReconciler.Issuers {
    /**
     * The server's client configuration without fabric8's own retries of failed requests: a
     * status write that fails must return to the work queue, which backs off per request, instead
     * of holding a worker for fabric8's backoff.
     */
    private final KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(serverClient.getConfiguration()).withRequestRetryBackoffLimit(0).build()).build();
    private final ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("rotor-crd-timer").daemon(true).factory());
    private final WorkQueue<Key> queue = new WorkQueue<>(timer);
    private final SharedIndexInformer<GenericKubernetesResource> requests;
    private final SharedIndexInformer<GenericKubernetesResource> issuers;
    private final SharedIndexInformer<GenericKubernetesResource> clusterIssuers;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    Term() {
      requests = client.genericKubernetesResources(Resources.CERTIFICATE_REQUESTS).inAnyNamespace().runnableInformer(0);
      requests.addEventHandler(handler(cr -> {
        if (CertificateRequestReconciler.isOurs(cr) && !CertificateRequestReconciler.isFinished(cr)) {
          queue.add(new Key(Kind.CERTIFICATE_REQUEST, cr.getMetadata().getNamespace(), cr.getMetadata().getName()));
        }
      }));
      issuers = client.genericKubernetesResources(Resources.ISSUERS).inAnyNamespace().runnableInformer(0);
      issuers.addEventHandler(handler(i -> queue.add(new Key(Kind.ISSUER, i.getMetadata().getNamespace(), i.getMetadata().getName()))));
      clusterIssuers = client.genericKubernetesResources(Resources.CLUSTER_ISSUERS).runnableInformer(0);
      clusterIssuers.addEventHandler(handler(i -> queue.add(new Key(Kind.CLUSTER_ISSUER, null, i.getMetadata().getName()))));
      // Issuers first, so the first requests find them in the cache.
      start(issuers, "issuers");
      start(clusterIssuers, "clusterissuers");
      start(requests, "certificaterequests");
      for (int i = 0; i < workers; i++) {
        Thread t = Thread.ofPlatform().name("rotor-crd-worker-" + i).daemon(true).start(this::work);
        threads.add(t);
      }
      log.info("crd controller started workers={}", workers);
    }

    private void start(SharedIndexInformer<GenericKubernetesResource> informer, String what) {
      informer.start().whenComplete((v, e) -> {
        if (e != null) {
          log.warn("crd informer failed to start resource={} error={}", what, e.toString());
        } else {
          log.info("crd informer synced resource={} items={}", what, informer.getStore().list().size());
        }
      });
    }

    private ResourceEventHandler<GenericKubernetesResource> handler(java.util.function.Consumer<GenericKubernetesResource> enqueue) {
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(GenericKubernetesResource obj) {
          enqueue.accept(obj);
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
          enqueue.accept(newObj);
        }

        @Override
        public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
          // nothing to clean up: the certificate stays recorded
        }
      };
    }

    @Override
    public Optional<GenericKubernetesResource> issuer(String namespace, String name) {
      return Optional.ofNullable(issuers.getStore().getByKey(namespace + "/" + name));
    }

    @Override
    public Optional<GenericKubernetesResource> clusterIssuer(String name) {
      return Optional.ofNullable(clusterIssuers.getStore().getByKey(name));
    }

    private void work() {
      while (running) {
        Key key;
        try {
          key = queue.take(Duration.ofMillis(250));
        } catch (InterruptedException e) {
          if (!running) {
            return;
          }
          continue;
        }
        if (key == null) {
          continue;
        }
        try {
          switch (key.kind()) {
            case CERTIFICATE_REQUEST -> syncRequest(key);
            case ISSUER, CLUSTER_ISSUER -> syncIssuer(key);
          }
        } catch (RuntimeException e) {
          Duration after = queue.retry(key);
          log.warn("crd sync failed key={} retryIn={} error={}", key.storeKey(), after, e.toString());
        } finally {
          queue.done(key);
        }
      }
    }

    private void syncRequest(Key key) {
      GenericKubernetesResource cr = requests.getStore().getByKey(key.storeKey());
      if (cr == null) {
        queue.forget(key);
        return;
      }
      Outcome outcome = reconciler.sync(cr, this);
      Map<String, Object> status = new LinkedHashMap<>(Resources.status(cr));
      List<Map<String, Object>> conditions = Resources.conditions(status);
      String now = Conditions.timestamp(clock.instant());
      switch (outcome) {
        case Outcome.Ignore ignore -> queue.forget(key);
        case Outcome.Retry retry -> {
          Duration after = queue.retry(key);
          log.warn("crd request retry key={} retryIn={} reason={}", key.storeKey(), after, retry.message());
        }
        case Outcome.Wait wait -> {
          boolean written = Resources.condition(status, Conditions.READY)
              .map(c -> "False".equals(c.get("status")) && Conditions.Reason.PENDING.wire().equals(c.get("reason"))
                  && wait.message().equals(c.get("message")))
              .orElse(false);
          if (!written) {
            status.put("conditions", Conditions.with(conditions, Conditions.READY, false, Conditions.Reason.PENDING.wire(),
                wait.message(), clock.instant(), null));
            updateStatus(client, Resources.CERTIFICATE_REQUESTS, cr, status);
          }
          queue.retry(key);
        }
        case Outcome.Issued issued -> {
          status.put("certificate", issued.certificateBase64());
          status.put("ca", issued.caBase64());
          status.put("conditions", Conditions.with(conditions, Conditions.READY, true, Conditions.Reason.ISSUED.wire(),
              "Certificate fetched from issuer successfully", clock.instant(), null));
          updateStatus(client, Resources.CERTIFICATE_REQUESTS, cr, status);
          queue.forget(key);
          event(client, cr, "Normal", Conditions.Reason.ISSUED.wire(), "Certificate issued, serial " + issued.serial()
              + (issued.reused() ? " (recorded earlier, status written now)" : ""));
          log.info("crd request issued key={} serial={} reused={}", key.storeKey(), issued.serial(), issued.reused());
        }
        case Outcome.Failed failed -> {
          List<Map<String, Object>> c = Conditions.with(conditions, Conditions.READY, false, Conditions.Reason.FAILED.wire(),
              failed.message(), clock.instant(), null);
          status.put("conditions", Conditions.with(c, Conditions.INVALID_REQUEST, true, "RequestInvalid", failed.message(),
              clock.instant(), null));
          status.put("failureTime", now);
          updateStatus(client, Resources.CERTIFICATE_REQUESTS, cr, status);
          queue.forget(key);
          event(client, cr, "Warning", Conditions.Reason.FAILED.wire(), failed.message());
          log.info("crd request failed key={} reason={}", key.storeKey(), failed.message());
        }
        case Outcome.Denied denied -> {
          status.put("conditions", Conditions.with(conditions, Conditions.READY, false, Conditions.Reason.DENIED.wire(),
              denied.message(), clock.instant(), null));
          status.put("failureTime", now);
          updateStatus(client, Resources.CERTIFICATE_REQUESTS, cr, status);
          queue.forget(key);
          event(client, cr, "Warning", Conditions.Reason.DENIED.wire(), denied.message());
          log.info("crd request denied key={}", key.storeKey());
        }
      }
    }

    private void syncIssuer(Key key) {
      boolean cluster = key.kind() == Kind.CLUSTER_ISSUER;
      GenericKubernetesResource issuer = (cluster ? clusterIssuers : issuers).getStore().getByKey(key.storeKey());
      if (issuer == null) {
        queue.forget(key);
        return;
      }
      IssuerReconciler.Ready ready = issuerReconciler.sync(issuer);
      Long generation = issuer.getMetadata().getGeneration();
      Map<String, Object> status = new LinkedHashMap<>(Resources.status(issuer));
      if (!ready.isWrittenIn(status, generation)) {
        status.put("conditions", Conditions.with(Resources.conditions(status), Conditions.READY, ready.ready(), ready.reason(),
            ready.message(), clock.instant(), generation));
        updateStatus(client, cluster ? Resources.CLUSTER_ISSUERS : Resources.ISSUERS, issuer, status);
      }
      queue.forget(key);
      // Requests that were waiting for this issuer get another look.
      String kind = cluster ? "ClusterIssuer" : "Issuer";
      for (GenericKubernetesResource cr : requests.getStore().list()) {
        Map<String, Object> ref = Resources.map(Resources.spec(cr).get("issuerRef"));
        if (CertificateRequestReconciler.isOurs(cr) && !CertificateRequestReconciler.isFinished(cr)
            && kind.equals(Resources.string(ref, "kind").orElse("Issuer")) && key.name().equals(ref.get("name"))
            && (cluster || key.namespace().equals(cr.getMetadata().getNamespace()))) {
          queue.add(new Key(Kind.CERTIFICATE_REQUEST, cr.getMetadata().getNamespace(), cr.getMetadata().getName()));
        }
      }
    }

    void stop() {
      running = false;
      queue.shutDown();
      for (Thread t : threads) {
        try {
          t.join(10_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      requests.close();
      issuers.close();
      clusterIssuers.close();
      timer.shutdownNow();
      client.close();
      log.info("crd controller stopped");
    }
  }

  /** Writes {@code status} with the resourceVersion the decision was made on (a 409 means: look again). */
  private static void updateStatus(KubernetesClient client, ResourceDefinitionContext type, GenericKubernetesResource r, Map<String, Object> status) {
    GenericKubernetesResource copy = new GenericKubernetesResource();
    copy.setApiVersion(r.getApiVersion());
    copy.setKind(r.getKind());
    copy.setMetadata(new ObjectMetaBuilder(r.getMetadata()).build());
    copy.setAdditionalProperties(new LinkedHashMap<>(r.getAdditionalProperties()));
    copy.getAdditionalProperties().put("status", status);
    var resources = client.genericKubernetesResources(type);
    if (type.isNamespaceScoped()) {
      resources.inNamespace(r.getMetadata().getNamespace()).resource(copy).updateStatus();
    } else {
      resources.resource(copy).updateStatus();
    }
  }

  /** Best effort: a lost Event loses nothing the status and the audit log do not also say. */
  private void event(KubernetesClient client, GenericKubernetesResource cr, String type, String reason, String message) {
    String ns = cr.getMetadata().getNamespace();
    String now = Conditions.timestamp(clock.instant());
    Event e = new EventBuilder()
        .withNewMetadata()
          .withNamespace(ns)
          .withName(cr.getMetadata().getName() + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()))
        .endMetadata()
        .withNewInvolvedObject()
          .withApiVersion(cr.getApiVersion()).withKind(cr.getKind()).withNamespace(ns)
          .withName(cr.getMetadata().getName()).withUid(cr.getMetadata().getUid())
        .endInvolvedObject()
        .withType(type).withReason(reason).withMessage(message)
        .withNewSource().withComponent(COMPONENT).endSource()
        .withReportingComponent(COMPONENT)
        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
        .build();
    try {
      client.v1().events().inNamespace(ns).resource(e).create();
    } catch (KubernetesClientException ex) {
      log.warn("crd event not recorded request={}/{} reason={} error={}", ns, cr.getMetadata().getName(), reason, ex.getMessage());
    }
  }
}
