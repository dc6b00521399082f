package dev.rotor.agent.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  @Test
  void aKeyAddedManyTimesBeforeItRunsIsSyncedOnce() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    List<String> synced = new CopyOnWriteArrayList<>();
    try (WorkQueue q = new WorkQueue("test", key -> {
      if (key.equals("block")) {
        try {
          gate.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      synced.add(key);
    })) {
      q.add("block");
      for (int i = 0; i < 10; i++) {
        q.add("a");
      }
      q.add("b");
      gate.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> synced.size() == 3);
      assertThat(synced).containsExactly("block", "a", "b");
    }
  }

  @Test
  void aNewTimerReplacesTheOldOneAndForgetCancelsIt() throws Exception {
    List<String> synced = new CopyOnWriteArrayList<>();
    try (WorkQueue q = new WorkQueue("test", synced::add)) {
      q.addAfter("k", Duration.ofMillis(200));
      q.addAfter("k", Duration.ofMillis(400));
      q.addAfter("gone", Duration.ofMillis(200));
      q.forget("gone");
      await().atMost(Duration.ofSeconds(5)).until(() -> synced.contains("k"));
      await().during(Duration.ofMillis(500)).until(() -> synced.equals(List.of("k")));
    }
  }
}
