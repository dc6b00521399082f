package dev.rotor.server.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.server.TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, test 3: two replicas on one PostgreSQL. The replica that drives the activation dies in
 * the middle of it (the test hook aborts its transaction just before commit, as a crash would,
 * and the replica is stopped); the other replica takes the lease and completes the activation,
 * exactly once, and both agree on the active CA while they run.
 */
class CaReplicasIT {

  @Test
  void aReplicaDyingDuringAnActivationLeavesItToTheNextLeaseHolderWhoDoesItOnce(@TempDir Path dir) throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).start()) {
      Map<String, Object> shared = new LinkedHashMap<>(CaRotationIT.shortLived());
      shared.put("ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres");
      shared.put("ROTOR_DB_USER", "postgres");
      shared.put("ROTOR_CA_PASSPHRASE", "shared-by-replicas");
      try (TestServer a = TestServer.start(shared); TestServer b = TestServer.start(shared)) {
        assertThat(b.server().ca().issuerId()).isEqualTo(a.server().ca().issuerId());
        int first = a.server().ca().issuerId();
        AtomicReference<TestServer> crashed = new AtomicReference<>();
        for (TestServer s : new TestServer[] {a, b}) {
          s.server().caSlots().rotation().orElseThrow().beforeCommitForTests(action -> {
            if (action.equals("ca.activated") && (crashed.compareAndSet(null, s) || crashed.get() == s)) {
              throw new IllegalStateException("simulated crash in the middle of " + action);
            }
          });
        }
        // both see the prepared successor (published by whichever holds the lease)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
            a.server().ca().issuers().size() == 2 && b.server().ca().issuers().size() == 2);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> crashed.get() != null);
        TestServer dead = crashed.get();
        TestServer survivor = dead == a ? b : a;
        // the aborted attempt left nothing behind (checked before the survivor may have taken over)
        assertThat(dead.count("SELECT count(*) FROM certificate_authorities WHERE kind = 'intermediate' AND state = 'retired'"))
            .isZero();
        dead.stop();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> survivor.server().ca().issuerId() != first);
        int second = survivor.server().ca().issuerId();
        Thread.sleep(1000); // more ticks by the survivor: nothing happens twice
        String serial = survivor.server().ca().issuingCertificate().getSerialNumber().toString(16);
        assertThat(survivor.count("SELECT count(*) FROM audit_log WHERE action = 'ca.activated'")).isEqualTo(1);
        assertThat(survivor.count("SELECT count(*) FROM audit_log WHERE action = 'ca.activated' AND target = '" + serial + "'")).isEqualTo(1);
        assertThat(survivor.count("SELECT count(*) FROM audit_log WHERE action = 'ca.prepared' AND target = '" + serial + "'")).isEqualTo(1);
        assertThat(survivor.count("SELECT count(*) FROM certificate_authorities WHERE kind = 'intermediate' AND state = 'active' AND id = "
            + second)).isEqualTo(1);
        assertThat(survivor.count("SELECT count(*) FROM certificate_authorities WHERE kind = 'intermediate' AND state = 'retired' AND id = "
            + first)).isEqualTo(1);
        assertThat(survivor.server().caSlots().isLeader()).isTrue();
        // and the dead replica, restarted, agrees at once
        dead.startAgain();
        assertThat(dead.server().ca().issuerId()).isEqualTo(second);
      }
    }
  }
}
