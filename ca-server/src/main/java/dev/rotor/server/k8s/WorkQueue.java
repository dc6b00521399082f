package dev.rotor.server.k8s;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A controller work queue (client-go's workqueue, small): a key is queued at most once, never
 * handed to two workers at the same time, and one added while it is being processed is handed out
 * again once the worker is {@link #done}. Failed keys come back after an exponential backoff.
 */
final class WorkQueue<K> {

  /** First retry after a transient failure. */
  static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
  /**
   * Retries stop growing here: certificates live minutes, so waiting hours (cert-manager's 1 h to
   * 32 h) would let them expire (reliability checklist CRD-04).
   */
  static final Duration BACKOFF_MAX = Duration.ofSeconds(30);

  private final LinkedBlockingQueue<K> ready = new LinkedBlockingQueue<>();
  private final Set<K> dirty = new HashSet<>();
  private final Set<K> processing = new HashSet<>();
  private final Map<K, Integer> failures = new HashMap<>();
  private final ScheduledExecutorService timer;
  private volatile boolean shutDown;

  WorkQueue(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  void add(K key) {
    synchronized (this) {
      if (shutDown || !dirty.add(key) || processing.contains(key)) {
        return;
      }
    }
    ready.add(key);
  }

  void addAfter(K key, Duration delay) {
    if (!shutDown) {
      timer.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Queues the key again after its next backoff step (1 s doubling to 30 s, with ±20 % jitter). */
  Duration retry(K key) {
    int n;
    synchronized (this) {
      n = failures.merge(key, 1, Integer::sum);
    }
    long ms = Math.min(BACKOFF_MAX.toMillis(), BACKOFF_MIN.toMillis() << Math.min(n - 1, 10));
    Duration delay = Duration.ofMillis((long) (ms * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
    addAfter(key, delay);
    return delay;
  }

  /** The key succeeded (or needs no more work): its backoff starts over. */
  synchronized void forget(K key) {
    failures.remove(key);
  }

  /** The next key, or null after {@code timeout} or once shut down. */
  K take(Duration timeout) throws InterruptedException {
    K key = ready.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (key == null) {
      return null;
    }
    synchronized (this) {
      dirty.remove(key);
      processing.add(key);
    }
    return key;
  }

  void done(K key) {
    boolean again;
    synchronized (this) {
      processing.remove(key);
      again = dirty.contains(key) && !shutDown;
    }
    if (again) {
      ready.add(key);
    }
  }

  void shutDown() {
    shutDown = true;
  }
}
