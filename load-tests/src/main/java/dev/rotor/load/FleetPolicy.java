package dev.rotor.load;

import java.io.IOException;
import java.io.Writer;

/**
 * The server's static policy ({@code ROTOR_STATIC_POLICY}) for a simulated fleet: node
 * {@code fleet-<i>} may obtain every identity under {@code spiffe://<td>/ns/fleet-<i>/}, and
 * nothing else, so a request for another agent's workload is still refused.
 */
final class FleetPolicy {

  private FleetPolicy() {}

  /** The pattern node {@code fleet-<agent>} is allowed: {@code spiffe://<td>/ns/fleet-<agent>/*}. */
  static String pattern(String trustDomain, int agent) {
    return "spiffe://" + trustDomain + "/ns/" + FleetPlan.node(agent) + "/*";
  }

  /** Writes the policy YAML for {@code agents} agents, one line per node. */
  static void write(Writer out, int agents, String trustDomain) throws IOException {
    out.write("# rotor-load fleet-policy: " + agents + " agents, trust domain " + trustDomain
        + "\n# start the server with ROTOR_STATIC_POLICY=<this file>\nnodes:\n");
    for (int i = 0; i < agents; i++) {
      out.write("  " + FleetPlan.node(i) + ": [\"" + pattern(trustDomain, i) + "\"]\n");
    }
  }
}
