package dev.rotor.agent.sink;

import dev.rotor.agent.api.ApiError;
import dev.rotor.agent.api.TrustBundle;
import dev.rotor.agent.renew.Backoff;
import dev.rotor.agent.renew.RenewalPolicy;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.SpiffeId;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps annotated Kubernetes Secrets filled with a fresh workload certificate.
 *
 * <p>A Secret is managed by this agent when it carries {@code rotor.dev/identity:
 * spiffe://<td>/ns/<ns>/sa/<sa>} with {@code <ns>} its own namespace, and a pod of that namespace
 * and service account runs on this node. Two informers (not polling) drive it: this node's pods
 * and all Secrets (filtered by annotation in the handler); each Secret also has a timer for its
 * renewal point, and the Secret informer's resync re-checks everything periodically.
 *
 * <p>Every write is one {@code update} of the whole Secret guarded by the resourceVersion read
 * just before: {@code tls.crt}, {@code tls.key}, {@code ca.crt} and the annotations change
 * together or not at all. On a conflict the agent re-reads; if another agent already renewed, it
 * drops its own certificate; otherwise it writes the one it already has (never asking twice per
 * round). Nothing here ever deletes or blanks a Secret.
 *
 * <p>The namespace rule matters for security: without it, anyone allowed to create a Secret in
 * one namespace could have the agent fetch the identity of another namespace's workload.
 */
public final class SecretSink implements AutoCloseable {

  public static final String IDENTITY = "rotor.dev/identity";
  public static final String DNS_NAMES = "rotor.dev/dns-names";
  public static final String TTL = "rotor.dev/ttl";
  public static final String SERIAL = "rotor.dev/serial";
  public static final String NOT_AFTER = "rotor.dev/not-after";
  public static final String TLS_CRT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String CA_CRT = "ca.crt";
  public static final String TYPE_TLS = "kubernetes.io/tls";

  private static final Logger log = LoggerFactory.getLogger(SecretSink.class);
  private static final Pattern WORKLOAD_PATH = Pattern.compile("/ns/([^/]+)/sa/([^/]+)");
  private static final int MAX_WRITE_ATTEMPTS = 5;

  private final KubernetesClient kubernetes;
  private final String node;
  private final WorkloadIssuer issuer;
  private final Supplier<Optional<TrustBundle>> bundle;
  private final RenewalPolicy policy;
  private final Backoff backoff;
  private final Duration resync;
  private final Duration deniedRetry;
  private final Clock clock;
  private final RandomGenerator random;
  private final SinkEvents events;
  private final WorkQueue queue;
  private final boolean nodeFieldSelector;
  /** pod namespace/name → "namespace/serviceaccount" of the pods on this node. */
  private final Map<String, String> podIdentities = new ConcurrentHashMap<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private SharedIndexInformer<Pod> pods;
  /** One informer over every namespace, or one per namespace when the agent is limited to some. */
  private List<SharedIndexInformer<Secret>> secrets;
  private final List<String> namespaces;

  public SecretSink(KubernetesClient kubernetes, String node, WorkloadSigner signer, Supplier<Optional<TrustBundle>> bundle,
      RenewalPolicy policy, Backoff backoff, Duration resync, Duration deniedRetry, Clock clock, RandomGenerator random,
      SinkEvents events, boolean nodeFieldSelector, List<String> namespaces) {
    this.kubernetes = kubernetes;
    this.namespaces = List.copyOf(namespaces);
    this.nodeFieldSelector = nodeFieldSelector;
    this.node = node;
    this.issuer = new WorkloadIssuer(signer);
    this.bundle = bundle;
    this.policy = policy;
    this.backoff = backoff;
    this.resync = resync;
    this.deniedRetry = deniedRetry;
    this.clock = clock;
    this.random = random;
    this.events = events;
    this.queue = new WorkQueue("rotor-agent-secret-sink", this::sync);
  }

  /**
   * Starts the informers (pods first, so the first Secret events find the node's workloads).
   *
   * <p>The pod watch asks the API server for this node's pods only ({@code fieldSelector
   * spec.nodeName=<node>}), so a node's agent does not receive the whole cluster's pods. fabric8's
   * mock server cannot evaluate that selector (it matches only metadata.name and
   * metadata.namespace and returns nothing for other fields), so tests construct the sink with
   * {@code nodeFieldSelector = false}; the event handler checks {@code spec.nodeName} either way.
   */
  public synchronized void start() {
    if (pods != null) {
      return;
    }
    var podQuery = nodeFieldSelector
        ? kubernetes.pods().inAnyNamespace().withField("spec.nodeName", node)
        : kubernetes.pods().inAnyNamespace();
    pods = podQuery.inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        podChanged(pod, false);
      }

      @Override
      public void onUpdate(Pod old, Pod pod) {
        podChanged(pod, false);
      }

      @Override
      public void onDelete(Pod pod, boolean unknownFinalState) {
        podChanged(pod, true);
      }
    }, resync.toMillis());
    ResourceEventHandler<Secret> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Secret s) {
        secretChanged(s);
      }

      @Override
      public void onUpdate(Secret old, Secret s) {
        secretChanged(s);
      }

      @Override
      public void onDelete(Secret s, boolean unknownFinalState) {
        String key = key(s);
        queue.forget(key);
        failures.remove(key);
        events.certificateReleased(target(key));
      }
    };
    List<SharedIndexInformer<Secret>> informers = new java.util.ArrayList<>();
    if (namespaces.isEmpty()) {
      informers.add(kubernetes.secrets().inAnyNamespace().inform(handler, resync.toMillis()));
    } else {
      for (String ns : namespaces) {
        informers.add(kubernetes.secrets().inNamespace(ns).inform(handler, resync.toMillis()));
      }
    }
    secrets = List.copyOf(informers);
    log.info("secret sink watching node={} namespaces={}", node, namespaces.isEmpty() ? "all" : String.join(",", namespaces));
  }

  /** Re-checks every annotated Secret (when the trust bundle changes, and with the first credentials). */
  public void syncAll() {
    for (Secret secret : cachedSecrets()) {
      if (annotation(secret, IDENTITY) != null) {
        queue.add(key(secret));
      }
    }
  }

  private void podChanged(Pod pod, boolean deleted) {
    if (pod.getSpec() == null || !node.equals(pod.getSpec().getNodeName())) {
      return; // a watch that could not filter by field sent another node's pod
    }
    String podKey = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    // The server's rule (PodPolicy): Running, Pending or not yet reported, and not being deleted.
    boolean active = !deleted && pod.getMetadata().getDeletionTimestamp() == null
        && (phase == null || "Running".equals(phase) || "Pending".equals(phase));
    String sa = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
    String identity = pod.getMetadata().getNamespace() + "/" + sa;
    String before = active ? podIdentities.put(podKey, identity) : podIdentities.remove(podKey);
    if (before == null || !before.equals(identity) || !active) {
      syncIdentity(identity);
    }
  }

  private void syncIdentity(String nsSa) {
    for (Secret secret : cachedSecrets()) {
      Workload w = workload(secret);
      if (w != null && nsSa.equals(w.namespace() + "/" + w.serviceAccount())) {
        queue.add(key(secret));
      }
    }
  }

  private void secretChanged(Secret s) {
    if (annotation(s, IDENTITY) != null) {
      queue.add(key(s));
    }
  }

  private boolean runsOnNode(Workload w) {
    return podIdentities.containsValue(w.namespace() + "/" + w.serviceAccount());
  }

  /** One Secret, start to end: read, decide, maybe issue, write. */
  private void sync(String key) {
    Optional<TrustBundle> current = bundle.get();
    if (current.isEmpty()) {
      return; // not attested yet; syncAll() runs with the first credentials
    }
    String[] nsName = key.split("/", 2);
    // Decide from the informer's copy whether this node has any business with the Secret, so the
    // resync of a cluster's worth of Secrets costs no API calls; then read the latest version.
    Secret cached = cachedSecret(key);
    Workload candidate = cached == null ? null : workload(cached);
    if (cached != null && (candidate == null || !runsOnNode(candidate))) {
      queue.forget(key);
      failures.remove(key);
      events.certificateReleased(target(key));
      return;
    }
    Secret secret;
    try {
      secret = kubernetes.secrets().inNamespace(nsName[0]).withName(nsName[1]).get();
    } catch (KubernetesClientException e) {
      retry(key, "cannot read the Secret: " + e.getMessage());
      return;
    }
    Workload w = secret == null ? null : workload(secret);
    if (w == null || !runsOnNode(w)) {
      if (w != null) {
        log.debug("not managing secret={}: no pod of {} on node={}", key, w.spiffeId(), node);
      }
      queue.forget(key);
      failures.remove(key);
      events.certificateReleased(target(key));
      return;
    }
    Instant now = clock.instant();
    CertificateCheck.Assessment a = CertificateCheck.assess(stored(secret), w.wanted(), current.get(), now, policy);
    switch (a.verdict()) {
      case FRESH -> {
        events.certificateHeld(target(key), w.spiffeId(), a.leaf().getNotAfter().toInstant());
        failures.remove(key);
        scheduleRenewal(key, a.leaf().getNotBefore().toInstant(), a.leaf().getNotAfter().toInstant());
      }
      case BUNDLE_OUTDATED -> write(key, secret, w, null, current.get());
      default -> {
        if (a.leaf() != null && now.isBefore(a.leaf().getNotAfter().toInstant())) {
          events.certificateHeld(target(key), w.spiffeId(), a.leaf().getNotAfter().toInstant());
        }
        log.info("renewing secret={} identity={} reason={}", key, w.spiffeId(), a.reason());
        WorkloadIssuer.NewCertificate fresh;
        try {
          fresh = issuer.issue(w.wanted(), w.ttl(), target(key), a.leaf() == null ? null : a.leaf().getNotAfter().toInstant());
        } catch (ApiError e) {
          if (e.kind() == ApiError.Kind.FORBIDDEN || e.kind() == ApiError.Kind.REJECTED) {
            // Asking again at once would get the same answer: wait, or for the pod or the Secret to change.
            events.workloadRenewal(e.kind() == ApiError.Kind.FORBIDDEN ? "denied" : "rejected");
            log.warn("the server refused identity={} for secret={} on node={} ({}); asking again in {} or when the "
                + "Secret or the node's pods change", w.spiffeId(), key, node, e.getMessage(), deniedRetry);
            queue.addAfter(key, deniedRetry);
          } else {
            events.workloadRenewal("failed");
            retry(key, e.getMessage(), e.retryAfter());
          }
          return;
        } catch (PkiException e) {
          events.workloadRenewal("failed");
          retry(key, e.getMessage());
          return;
        }
        events.workloadRenewal("issued");
        write(key, secret, w, fresh, current.get());
      }
    }
  }

  /**
   * Writes {@code fresh} (or, when null, only the bundle) into the Secret read as {@code secret},
   * re-reading on conflicts. Never issues: a conflict costs a re-read, not a certificate.
   */
  private void write(String key, Secret secret, Workload w, WorkloadIssuer.NewCertificate fresh, TrustBundle bundle) {
    Secret base = secret;
    for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      Secret updated = fresh == null ? withBundle(base, bundle) : withCertificate(base, fresh, bundle);
      try {
        kubernetes.secrets().inNamespace(base.getMetadata().getNamespace()).resource(updated).update();
        events.secretWrite("written");
        failures.remove(key);
        if (fresh != null) {
          events.certificateHeld(target(key), w.spiffeId(), fresh.issued().notAfter());
          log.info("secret written secret={} identity={} serial={} notAfter={}", key, w.spiffeId(),
              fresh.issued().serial(), fresh.issued().notAfter());
          scheduleRenewal(key, fresh.issued().notBefore(), fresh.issued().notAfter());
        } else {
          log.info("secret bundle updated secret={}", key);
          queue.add(key);
        }
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          events.secretWrite("failed");
          retry(key, "cannot update the Secret: " + e.getMessage());
          return;
        }
        events.secretWrite("conflict");
      }
      // Conflict: someone else wrote first. Re-read and decide again.
      try {
        base = kubernetes.secrets().inNamespace(base.getMetadata().getNamespace()).withName(base.getMetadata().getName()).get();
      } catch (KubernetesClientException e) {
        retry(key, "cannot re-read the Secret after a conflict: " + e.getMessage());
        return;
      }
      Workload now = base == null ? null : workload(base);
      if (now == null) {
        log.info("secret gone or no longer annotated after a conflict secret={}", key);
        return;
      }
      if (!now.wanted().equals(w.wanted())) {
        // The annotations changed under us: what we hold is for the old request. Start over.
        queue.add(key);
        return;
      }
      CertificateCheck.Assessment latest = CertificateCheck.assess(stored(base), w.wanted(), bundle, clock.instant(), policy);
      if (!latest.verdict().needsNewCertificate()) {
        if (fresh != null) {
          log.info("secret already renewed by another writer secret={} serial={}; dropping ours", key,
              latest.leaf().getSerialNumber().toString(16));
        }
        if (latest.verdict() == CertificateCheck.Verdict.BUNDLE_OUTDATED && fresh == null) {
          continue; // still only the bundle to write, against the new version
        }
        queue.add(key);
        return;
      }
      if (fresh == null) {
        queue.add(key); // it needs a certificate now, not just a bundle: start over
        return;
      }
    }
    retry(key, "gave up after " + MAX_WRITE_ATTEMPTS + " conflicting writes");
  }

  private Secret withCertificate(Secret base, WorkloadIssuer.NewCertificate fresh, TrustBundle bundle) {
    Map<String, String> data = new LinkedHashMap<>(base.getData() == null ? Map.of() : base.getData());
    data.put(TLS_CRT, b64(fresh.issued().chainPem()));
    data.put(TLS_KEY, b64(fresh.keyPem()));
    data.put(CA_CRT, b64(bundle.canonicalPem()));
    return new SecretBuilder(base)
        .withType(base.getType() == null || base.getType().isBlank() ? TYPE_TLS : base.getType())
        .withData(data)
        .editMetadata()
        .addToAnnotations(SERIAL, fresh.issued().serial())
        .addToAnnotations(NOT_AFTER, fresh.issued().notAfter().toString())
        .endMetadata()
        .build();
  }

  private Secret withBundle(Secret base, TrustBundle bundle) {
    Map<String, String> data = new LinkedHashMap<>(base.getData() == null ? Map.of() : base.getData());
    data.put(CA_CRT, b64(bundle.canonicalPem()));
    return new SecretBuilder(base).withData(data).build();
  }

  private void scheduleRenewal(String key, Instant notBefore, Instant notAfter) {
    queue.addAfter(key, Duration.between(clock.instant(), policy.checkAt(notBefore, notAfter, random.nextDouble())));
  }

  private void retry(String key, String why) {
    retry(key, why, Optional.empty());
  }

  /** Backs off; a server's Retry-After is waited at least, with jitter on top. */
  private void retry(String key, String why, Optional<Duration> retryAfter) {
    int n = failures.merge(key, 1, Integer::sum);
    Duration delay = backoff.delay(n - 1, random.nextDouble(), retryAfter);
    log.warn("secret sync failed secret={} retryIn={} error={}", key, delay, why);
    queue.addAfter(key, delay);
  }

  /** The identity a Secret asks for, or null when it is not annotated or the annotation is unusable. */
  record Workload(String spiffeId, String namespace, String serviceAccount, List<String> dnsNames, Duration ttl) {
    CertificateCheck.Wanted wanted() {
      return new CertificateCheck.Wanted(spiffeId, dnsNames);
    }
  }

  static Workload workload(Secret s) {
    String id = annotation(s, IDENTITY);
    if (id == null) {
      return null;
    }
    String where = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
    SpiffeId parsed;
    try {
      parsed = SpiffeId.parse(id.trim());
    } catch (PkiException e) {
      log.warn("ignoring secret={}: {}", where, e.getMessage());
      return null;
    }
    Matcher m = WORKLOAD_PATH.matcher(parsed.path());
    if (!m.matches()) {
      log.warn("ignoring secret={}: identity {} is not spiffe://<td>/ns/<ns>/sa/<sa>", where, parsed);
      return null;
    }
    if (!m.group(1).equals(s.getMetadata().getNamespace())) {
      log.warn("ignoring secret={}: identity {} belongs to namespace {}, the Secret to {}", where, parsed, m.group(1),
          s.getMetadata().getNamespace());
      return null;
    }
    String dns = annotation(s, DNS_NAMES);
    List<String> dnsNames = dns == null ? List.of()
        : Arrays.stream(dns.split(",")).map(String::trim).filter(n -> !n.isEmpty()).map(n -> n.toLowerCase(Locale.ROOT)).toList();
    Duration ttl = null;
    String ttlText = annotation(s, TTL);
    if (ttlText != null) {
      try {
        ttl = parseTtl(ttlText);
      } catch (IllegalArgumentException e) {
        log.warn("secret={}: ignoring {}={} ({}); using the server's default", where, TTL, ttlText, e.getMessage());
      }
    }
    return new Workload(parsed.toString(), m.group(1), m.group(2), dnsNames, ttl);
  }

  /** {@code 600}, {@code 600s}, {@code 10m}, {@code 1h}. */
  static Duration parseTtl(String text) {
    Matcher m = Pattern.compile("(\\d{1,9})(s|m|h)?").matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration such as 600s, 10m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    Duration d = switch (unit) {
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    if (d.isZero()) {
      throw new IllegalArgumentException("the TTL must be positive");
    }
    return d;
  }

  static CertificateCheck.Stored stored(Secret s) {
    Map<String, String> data = s.getData() == null ? Map.of() : s.getData();
    return new CertificateCheck.Stored(unb64(data.get(TLS_CRT)), unb64(data.get(TLS_KEY)), unb64(data.get(CA_CRT)));
  }

  private static String annotation(Secret s, String name) {
    Map<String, String> a = s.getMetadata() == null ? null : s.getMetadata().getAnnotations();
    return a == null ? null : a.get(name);
  }

  private static String key(Secret s) {
    return s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
  }

  private static String target(String key) {
    return "secret:" + key;
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String unb64(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  @Override
  public synchronized void close() {
    queue.close();
    if (pods != null) {
      pods.close();
    }
    if (secrets != null) {
      secrets.forEach(SharedIndexInformer::close);
    }
  }

  private List<Secret> cachedSecrets() {
    List<SharedIndexInformer<Secret>> s = secrets;
    return s == null ? List.of() : s.stream().flatMap(i -> i.getStore().list().stream()).toList();
  }

  private Secret cachedSecret(String key) {
    List<SharedIndexInformer<Secret>> s = secrets;
    if (s != null) {
      for (SharedIndexInformer<Secret> i : s) {
        Secret found = i.getStore().getByKey(key);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }
}
