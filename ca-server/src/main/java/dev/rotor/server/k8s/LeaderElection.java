package dev.rotor.server.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the controller on exactly one replica: the holder of a {@code coordination.k8s.io/v1}
 * Lease (fabric8's {@link LeaderElector}). A replica that loses the Lease stops reconciling and
 * campaigns again; one that stops releases it, so another takes over within {@link #RETRY}.
 *
 * <p>If the leader dies without releasing, the Lease expires after {@link #LEASE_DURATION} and
 * another replica takes it at its next try: takeover within 10 s + 2 s (+ jitter) &lt; 15 s. A
 * leader that is alive but cannot renew stops by its {@link #RENEW_DEADLINE} (checked every
 * {@link #RETRY}, so within 8 s), before the Lease can expire for the others (10 s): never two
 * leaders on one clock.
 */
public final class LeaderElection implements AutoCloseable {

  static final Duration LEASE_DURATION = Duration.ofSeconds(10);
  static final Duration RENEW_DEADLINE = Duration.ofSeconds(6);
  static final Duration RETRY = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String leaseName;
  private final String candidate;
  private final CertificateRequestController controller;
  private volatile String identity;
  private int campaigns;
  private final ExecutorService executor;
  private volatile boolean running = true;
  private volatile CompletableFuture<?> campaign;

  public LeaderElection(KubernetesClient client, String namespace, String leaseName, String identity,
      CertificateRequestController controller) {
    this.client = client;
    this.namespace = namespace;
    this.leaseName = leaseName;
    this.candidate = identity;
    this.identity = identity;
    this.controller = controller;
    this.executor = Executors.newCachedThreadPool(Thread.ofPlatform().name("rotor-leader-", 0).daemon(true).factory());
  }

  public LeaderElection start() {
    campaign();
    return this;
  }

  private synchronized void campaign() {
    if (!running) {
      return;
    }
    // A new identity for every campaign: fabric8's elector starts leading as soon as it *reads* a
    // Lease naming its own identity, before any write succeeds. After a lost term the Lease may
    // still name us (we could not write), so campaigning again under the same name would lead
    // without holding the Lease, beside the replica that took it.
    identity = candidate + "-" + ++campaigns;
    LeaderElectionConfig config = new LeaderElectionConfig(new LeaseLock(namespace, leaseName, identity),
        LEASE_DURATION, RENEW_DEADLINE, RETRY,
        new LeaderCallbacks(this::started, this::stopped, leader -> log.info("crd controller leader={}", leader)),
        true, leaseName);
    campaign = new LeaderElector(client, config, executor).start();
    campaign.whenComplete((v, e) -> {
      // The elector ends when leadership is lost (or on close); campaign again unless closing.
      if (running) {
        log.info("crd controller leadership ended, campaigning again identity={}", identity);
        CompletableFuture.delayedExecutor(RETRY.toMillis(), TimeUnit.MILLISECONDS, executor).execute(this::campaign);
      }
    });
  }

  private void started() {
    if (!running) {
      return; // a term won while closing: do not start reconciling on a replica that is going away
    }
    log.info("crd controller leading lease={}/{} identity={}", namespace, leaseName, identity);
    controller.startLeading();
  }

  private void stopped() {
    log.info("crd controller stopped leading identity={}", identity);
    controller.stopLeading();
  }

  public boolean isLeading() {
    return controller.isLeading();
  }

  /** The identity of the current campaign: the pod name, a random suffix, and the campaign's number. */
  public String identity() {
    return identity;
  }

  @Override
  public void close() {
    running = false;
    CompletableFuture<?> c;
    synchronized (this) {
      c = campaign;
    }
    if (c != null) {
      c.cancel(true); // releaseOnCancel: the Lease is released so another replica takes over at once
    }
    controller.stopLeading();
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
