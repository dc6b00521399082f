package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FleetPlanTest {

  private static FleetPlan plan(long identities, int agents, Duration ttl) {
    return FleetPlan.of(identities, agents, ttl, "rotor.local");
  }

  @ParameterizedTest(name = "{0} identities, ttl {1} s -> {2}/s")
  @CsvSource({
      "1000000, 900, 2222.2222",   // the fleet: 1,000,000 / 450 s
      "400, 10, 80",
      "1250000, 900, 2777.7778",
      "100, 600, 0.3333"})
  void requiredRateIsIdentitiesOverHalfTheLifetime(long identities, long ttlSeconds,
      double rate) {
    assertThat(plan(identities, 100, Duration.ofSeconds(ttlSeconds)).requiredRate())
        .isCloseTo(rate, org.assertj.core.data.Offset.offset(0.0001));
  }

  @Test
  void identitiesAreSplitEvenlyRoundingDown() {
    FleetPlan p = plan(1003, 10, Duration.ofMinutes(15));
    assertThat(p.workloadsPerAgent()).isEqualTo(100);
    assertThat(p.identities()).isEqualTo(1000);
    assertThat(p.requiredRate()).isCloseTo(1000 / 450.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThatThrownBy(() -> plan(9, 10, Duration.ofMinutes(15)))
        .hasMessageContaining("at least the number of agents");
  }

  @Test
  void namesFollowTheNodeAndNamespaceScheme() {
    FleetPlan p = FleetPlan.of(400, 20, Duration.ofMinutes(15), "example.org");
    assertThat(FleetPlan.node(7)).isEqualTo("fleet-7");
    assertThat(p.workloadId(7, 19)).isEqualTo("spiffe://example.org/ns/fleet-7/sa/w19");
    assertThat(p.agentId(7)).isEqualTo("spiffe://example.org/agent/k8s/fleet-7");
  }

  @Test
  void arrivalsAreEvenlySpacedAtTheRequiredRate() {
    Arrivals p = plan(1_000_000, 10_000, Duration.ofMinutes(15)).arrivals(Duration.ZERO);
    // 2222.2/s: one every 450 µs, without drift over a long run.
    assertThat(p.arrivalNanos(0)).isZero();
    assertThat(p.arrivalNanos(1)).isEqualTo(450_000);
    assertThat(p.arrivalNanos(2_222_222)).isEqualTo(999_999_900_000L);
    assertThat(p.arrivalNanos(20_000)).isEqualTo(9_000_000_000L);
  }

  @Test
  void arrivalsDueByCountsThoseAtOrBeforeTheInstant() {
    Arrivals p = plan(400, 20, Duration.ofSeconds(10)).arrivals(Duration.ZERO); // 80/s: one every 12.5 ms
    assertThat(p.arrivalsDueBy(-1)).isZero();
    assertThat(p.arrivalsDueBy(0)).isEqualTo(1);
    assertThat(p.arrivalsDueBy(12_499_999)).isEqualTo(1);
    assertThat(p.arrivalsDueBy(12_500_000)).isEqualTo(2);
    assertThat(p.arrivalsDueBy(1_000_000_000L - 1)).isEqualTo(80);
    assertThat(p.arrivalsDueBy(5_000_000_000L - 1)).isEqualTo(400);
    for (long n = 0; n < 10_000; n++) {
      long t = p.arrivalNanos(n);
      assertThat(p.arrivalsDueBy(t)).isEqualTo(n + 1);
      assertThat(p.arrivalsDueBy(t - 1)).isEqualTo(n);
    }
  }

  @Test
  void eachHalfLifetimeRenewsEveryIdentityOnceAndSpreadsOverAgents() {
    FleetPlan p = plan(60, 4, Duration.ofSeconds(30)); // 15 workloads per agent, 4/s
    Set<String> seen = new HashSet<>();
    Map<Integer, Integer> perAgent = new HashMap<>();
    for (long n = 0; n < p.identities(); n++) {
      int agent = p.agentOf(n);
      assertThat(seen.add(p.workloadId(agent, p.workloadOf(n)))).as("arrival " + n).isTrue();
      perAgent.merge(agent, 1, Integer::sum);
      if (n > 0) {
        assertThat(agent).as("consecutive arrivals go to different agents")
            .isNotEqualTo(p.agentOf(n - 1));
      }
    }
    assertThat(seen).hasSize(60);
    assertThat(perAgent).containsOnlyKeys(0, 1, 2, 3).allSatisfy((a, n) -> assertThat(n)
        .isEqualTo(15));
    // The next half-lifetime starts over with the same identities in the same order.
    assertThat(p.workloadId(p.agentOf(60), p.workloadOf(60)))
        .isEqualTo(p.workloadId(p.agentOf(0), p.workloadOf(0)));
    // ... and the whole round takes exactly half the lifetime.
    assertThat(p.arrivals(Duration.ZERO).arrivalNanos(60)).isEqualTo(Duration.ofSeconds(15).toNanos());
  }

  @Test
  void findMaxStepsKeepTheAgents() {
    FleetPlan p = plan(1_000_000, 10_000, Duration.ofMinutes(15)).withIdentities(1_250_000);
    assertThat(p.agents()).isEqualTo(10_000);
    assertThat(p.workloadsPerAgent()).isEqualTo(125);
  }
}
