package dev.rotor.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which journal batches commit without waiting for the WAL flush: relaxed items only, on their own writer. */
class JournalRelaxedCommitIT {

  static TestServer server;
  static Journal journal;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    journal = new Journal(server.server().database().dataSource(), Clock.systemUTC(), new SimpleMeterRegistry());
  }

  @AfterAll
  static void stop() throws Exception {
    journal.close();
    server.close();
  }

  static String synchronousCommit(Journal.Tx tx) throws Exception {
    try (Statement st = tx.connection().createStatement(); ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void a_relaxed_item_alone_commits_asynchronously() {
    assertThat(journal.executeRelaxed(JournalRelaxedCommitIT::synchronousCommit)).isEqualTo("off");
  }

  @Test
  void an_ordinary_item_commits_durably() {
    assertThat(journal.execute(JournalRelaxedCommitIT::synchronousCommit)).isEqualTo("on");
  }

  @Test
  void relaxed_items_have_their_own_writer_and_never_wait_behind_durable_batches() throws Exception {
    // Hold both durable writers inside a batch each.
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held1 = new CountDownLatch(1);
    CompletableFuture<?> block1 = journal.submit(tx -> { held1.countDown(); return release.await(20, TimeUnit.SECONDS); });
    assertThat(held1.await(10, TimeUnit.SECONDS)).isTrue();
    CountDownLatch held2 = new CountDownLatch(1);
    CompletableFuture<?> block2 = journal.submit(tx -> { held2.countDown(); return release.await(20, TimeUnit.SECONDS); });
    assertThat(held2.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> durable = journal.submit(JournalRelaxedCommitIT::synchronousCommit);
    // a relaxed item commits meanwhile, asynchronously
    assertThat(journal.submitRelaxed(JournalRelaxedCommitIT::synchronousCommit).get(10, TimeUnit.SECONDS)).isEqualTo("off");
    assertThat(durable).isNotDone();
    release.countDown();
    block1.get(10, TimeUnit.SECONDS);
    block2.get(10, TimeUnit.SECONDS);
    assertThat(durable.get(10, TimeUnit.SECONDS)).isEqualTo("on");
  }
}
