package dev.rotor.server.agent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the trust bundle as ConfigMap {@value #NAME} (key {@value #KEY}) in the agents'
 * namespace, so that agents (and anything else in the cluster) trust the server from their
 * first connection without fetching the bundle over an unauthenticated channel — what SPIRE's
 * k8sbundle notifier does. Written at start and re-checked every {@code interval}; it is only
 * updated when the content differs, so every replica may run it.
 */
public final class BundleConfigMap implements AutoCloseable {

  public static final String NAME = "rotor-ca-bundle";
  public static final String KEY = "ca.pem";
  private static final Logger log = LoggerFactory.getLogger(BundleConfigMap.class);

  private final KubernetesClient client;
  private final String namespace;
  private final Supplier<String> bundlePem;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("rotor-bundle-configmap").daemon(true).unstarted(r));

  public BundleConfigMap(KubernetesClient client, String namespace, Supplier<String> bundlePem) {
    this.client = client;
    this.namespace = namespace;
    this.bundlePem = bundlePem;
  }

  public BundleConfigMap start(Duration interval) {
    timer.scheduleWithFixedDelay(this::publish, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Creates or updates the ConfigMap when its content differs; true when it is current. */
  boolean publish() {
    String pem = bundlePem.get();
    try {
      ConfigMap existing = client.configMaps().inNamespace(namespace).withName(NAME).get();
      if (existing == null) {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
            .withNewMetadata().withName(NAME).withNamespace(namespace)
            .addToLabels("app.kubernetes.io/name", "rotor").addToLabels("app.kubernetes.io/component", "trust-bundle").endMetadata()
            .withData(Map.of(KEY, pem)).build()).create();
        log.info("trust bundle published configMap={}/{}", namespace, NAME);
      } else if (!pem.equals(existing.getData() == null ? null : existing.getData().get(KEY))) {
        existing.setData(Map.of(KEY, pem));
        client.configMaps().inNamespace(namespace).resource(existing).update();
        log.info("trust bundle updated configMap={}/{}", namespace, NAME);
      }
      return true;
    } catch (KubernetesClientException e) {
      // Another replica may have written it first (409), or the API server is away: next round.
      log.warn("trust bundle not published configMap={}/{} code={} error={}", namespace, NAME, e.getCode(), e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
