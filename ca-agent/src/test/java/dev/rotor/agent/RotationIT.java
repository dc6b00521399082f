package dev.rotor.agent;

import static dev.rotor.agent.Cluster.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.agent.Cluster.Version;
import dev.rotor.agent.Cluster.Versions;
import dev.rotor.pki.Pem;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rotation with 20-second workload certificates (half-life 10 s): one agent renewing several
 * times in a row, and three agents sharing one Secret.
 */
class RotationIT {

  private static final Duration TTL = Duration.ofSeconds(20);
  private static Cluster cluster;
  private static List<X509Certificate> bundle;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start(Map.of("profiles",
        Map.of("workload", Map.of("minTtl", "10s", "defaultTtl", TTL.toSeconds() + "s", "maxTtl", "60s"))), false);
    bundle = cluster.bundle();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Test 2: the agent replaces the certificate before it expires, several times in a row, and never early. */
  @Test
  void replacesTheCertificateBeforeItExpiresRepeatedly() throws Exception {
    cluster.pod("rot", "app-0", "app", "rot-1");
    cluster.agent("rot-1");
    String id = "spiffe://rotor.local/ns/rot/sa/app";
    try (Versions versions = cluster.watch("rot", "app-tls")) {
      cluster.secret("rot", "app-tls", identity("rot", "app"));
      await().atMost(Duration.ofSeconds(60)).until(() -> versions.landed().size() >= 4);
      List<Version> landed = versions.landed();
      for (Version v : versions.all()) {
        if (v.serial() != null) {
          X509Certificate leaf = Pairs.assertSecretHolds(v.secret(), id, bundle, v.seen());
          assertThat(leaf.getNotAfter().toInstant()).as("never holds an expired certificate").isAfter(v.seen());
        }
      }
      for (int i = 1; i < landed.size(); i++) {
        X509Certificate previous = leaf(landed.get(i - 1));
        Instant replacedAt = landed.get(i).seen();
        assertThat(replacedAt).as("replacement %d before the previous certificate expired", i)
            .isBefore(previous.getNotAfter().toInstant());
        // Renewed around half-life, not in a loop: issued at least 40 % of the TTL after the previous one
        // (server timestamps, so a slow watch cannot make the gap look shorter).
        assertThat(Duration.between(previous.getNotBefore().toInstant(), leaf(landed.get(i)).getNotBefore().toInstant()))
            .isGreaterThan(TTL.multipliedBy(2).dividedBy(5));
      }
    }
  }

  /**
   * Test 3: three agents whose nodes all run the service account, one Secret: every version is a
   * matching pair, certificates only ever move forward (no lost update), and each agent asks for
   * at most one certificate per renewal round.
   */
  @Test
  void threeAgentsShareOneSecret() throws Exception {
    List<String> nodes = List.of("share-a", "share-b", "share-c");
    List<RotorAgent> agents = new ArrayList<>();
    for (String node : nodes) {
      cluster.pod("team", "api-" + node, "api", node);
      agents.add(cluster.agent(node));
    }
    String id = "spiffe://rotor.local/ns/team/sa/api";
    List<Version> all;
    List<Version> landed;
    try (Versions versions = cluster.watch("team", "api-tls")) {
      cluster.secret("team", "api-tls", identity("team", "api"));
      await().atMost(Duration.ofSeconds(60)).until(() -> versions.landed().size() >= 4);
      agents.forEach(cluster::stop);
      all = versions.all();
      landed = versions.landed();
    }

    for (Version v : all) {
      if (v.serial() != null) {
        Pairs.assertSecretHolds(v.secret(), id, bundle, v.seen());
      }
    }
    for (int i = 1; i < landed.size(); i++) {
      assertThat(leaf(landed.get(i)).getNotAfter()).as("a newer certificate, never an older one written back")
          .isAfter(leaf(landed.get(i - 1)).getNotAfter());
    }
    Set<String> landedSerials = landed.stream().map(v -> leaf(v).getSerialNumber().toString(16)).collect(Collectors.toSet());
    assertThat(new HashSet<>(landed.stream().map(Version::serial).toList())).hasSize(landed.size());

    List<JsonNode> issued = cluster.issued("ns/team/sa/api");
    Set<String> issuedSerials = issued.stream().map(j -> new java.math.BigInteger(j.get("serial").asText(), 16).toString(16))
        .collect(Collectors.toSet());
    assertThat(issuedSerials).containsAll(landedSerials);
    Map<String, List<Instant>> byAgent = new TreeMap<>();
    for (JsonNode j : issued) {
      byAgent.computeIfAbsent(j.get("requester").asText(), k -> new ArrayList<>()).add(Instant.parse(j.get("issuedAt").asText()));
    }
    assertThat(byAgent.keySet()).allMatch(r -> nodes.stream().anyMatch(n -> r.equals("agent:" + n)));
    for (Map.Entry<String, List<Instant>> e : byAgent.entrySet()) {
      List<Instant> times = e.getValue().stream().sorted().toList();
      assertThat(times.size()).as("issuances by %s", e.getKey()).isLessThanOrEqualTo(landed.size());
      for (int i = 1; i < times.size(); i++) {
        // A second issuance within one round would follow the first within a second or so.
        assertThat(Duration.between(times.get(i - 1), times.get(i))).as("gap between issuances by %s", e.getKey())
            .isGreaterThan(TTL.multipliedBy(2).dividedBy(5));
      }
    }
  }

  private static X509Certificate leaf(Version v) {
    try {
      return Pem.parseCertificates(Cluster.data(v.secret(), "tls.crt")).get(0);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
