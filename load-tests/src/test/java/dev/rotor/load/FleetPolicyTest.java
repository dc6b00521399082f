package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class FleetPolicyTest {

  @Test
  void oneNodePerAgentWithItsOwnNamespacePrefix() throws Exception {
    StringWriter w = new StringWriter();
    FleetPolicy.write(w, 3, "example.org");
    assertThat(w.toString()).isEqualTo("""
        # rotor-load fleet-policy: 3 agents, trust domain example.org
        # start the server with ROTOR_STATIC_POLICY=<this file>
        nodes:
          fleet-0: ["spiffe://example.org/ns/fleet-0/*"]
          fleet-1: ["spiffe://example.org/ns/fleet-1/*"]
          fleet-2: ["spiffe://example.org/ns/fleet-2/*"]
        """);
  }

  @Test
  void everyIdentityOfThePlanIsCoveredByItsOwnNodeOnly() {
    FleetPlan plan = FleetPlan.of(200, 20, java.time.Duration.ofMinutes(15), "rotor.local");
    for (int agent = 0; agent < plan.agents(); agent++) {
      String mine = FleetPolicy.pattern("rotor.local", agent);
      String prefix = mine.substring(0, mine.length() - 1);
      for (int w = 0; w < plan.workloadsPerAgent(); w++) {
        assertThat(plan.workloadId(agent, w)).startsWith(prefix);
      }
      // fleet-1's prefix ".../ns/fleet-1/" must not cover fleet-10's identities.
      int other = agent == 1 ? 10 : 1;
      assertThat(plan.workloadId(other, 0)).doesNotStartWith(prefix);
    }
  }
}
