package dev.rotor.agent.sink;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A de-duplicating queue of keys worked by one thread (so one key is never synced twice at once),
 * with one timer per key. Informer events, bundle changes and timers all just {@link #add} a key.
 */
final class WorkQueue implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);

  private final ScheduledExecutorService worker;
  private final Consumer<String> sync;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final Map<String, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();

  WorkQueue(String name, Consumer<String> sync) {
    this.sync = sync;
    this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Syncs {@code key} soon, once, however often it is added before that. */
  void add(String key) {
    if (pending.add(key)) {
      try {
        worker.execute(() -> run(key));
      } catch (RejectedExecutionException e) {
        pending.remove(key);
      }
    }
  }

  /** Syncs {@code key} after {@code delay}, replacing its earlier timer. */
  void addAfter(String key, Duration delay) {
    try {
      ScheduledFuture<?> f = worker.schedule(() -> add(key), Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
      ScheduledFuture<?> old = timers.put(key, f);
      if (old != null) {
        old.cancel(false);
      }
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /** Forgets {@code key}'s timer. */
  void forget(String key) {
    ScheduledFuture<?> old = timers.remove(key);
    if (old != null) {
      old.cancel(false);
    }
  }

  private void run(String key) {
    pending.remove(key);
    try {
      sync.accept(key);
    } catch (RuntimeException e) {
      log.warn("sync failed key={} error={}", key, e.toString());
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
