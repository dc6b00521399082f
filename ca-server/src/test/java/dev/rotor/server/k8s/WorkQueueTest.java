package dev.rotor.server.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final WorkQueue<String> queue = new WorkQueue<>(timer);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void aKeyIsQueuedOnceAndNeverHandedToTwoWorkers() throws Exception {
    queue.add("a");
    queue.add("a");
    queue.add("b");
    assertThat(queue.take(Duration.ZERO)).isEqualTo("a");
    // Added again while being processed: held back until done.
    queue.add("a");
    assertThat(queue.take(Duration.ZERO)).isEqualTo("b");
    assertThat(queue.take(Duration.ZERO)).isNull();
    queue.done("a");
    assertThat(queue.take(Duration.ZERO)).isEqualTo("a");
    queue.done("a");
    queue.done("b");
    assertThat(queue.take(Duration.ZERO)).isNull();
  }

  @Test
  void retriesBackOffAndForgetStartsOver() throws Exception {
    Duration first = queue.retry("k");
    Duration second = queue.retry("k");
    Duration third = queue.retry("k");
    assertThat(first).isBetween(Duration.ofMillis(800), Duration.ofMillis(1200));
    assertThat(second).isBetween(Duration.ofMillis(1600), Duration.ofMillis(2400));
    assertThat(third).isBetween(Duration.ofMillis(3200), Duration.ofMillis(4800));
    for (int i = 0; i < 10; i++) {
      queue.retry("k");
    }
    assertThat(queue.retry("k")).isLessThanOrEqualTo(Duration.ofSeconds(36));
    queue.forget("k");
    assertThat(queue.retry("k")).isLessThanOrEqualTo(Duration.ofMillis(1200));
    // The first retry comes back after about a second.
    assertThat(queue.take(Duration.ofSeconds(3))).isEqualTo("k");
  }

  @Test
  void nothingIsAddedAfterShutDown() throws Exception {
    queue.shutDown();
    queue.add("x");
    assertThat(queue.take(Duration.ZERO)).isNull();
  }
}
