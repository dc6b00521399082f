package dev.rotor.load;

import java.time.Duration;

/**
 * A simulated fleet and the renewal load it needs, as pure arithmetic.
 *
 * <p>Agent {@code i} runs on node {@code fleet-<i>} and renews the workload identities
 * {@code spiffe://<td>/ns/fleet-<i>/sa/w<j>} for {@code j} in {@code 0..workloadsPerAgent-1}.
 * Every identity is renewed at half its lifetime, so the fleet needs
 * {@code identities / (0.5 × ttl)} renewals per second in steady state.
 *
 * <p>Arrivals are open-loop ({@link #arrivals}): arrival {@code n} is due {@code n / rate}
 * seconds after the start (after an optional ramp)
 * whatever happened to the earlier ones, so a slow server shows up as latency instead of as fewer
 * requests (no coordinated omission). Consecutive arrivals go to consecutive agents, and within
 * one agent to consecutive workloads, so in every half-lifetime each identity is renewed exactly
 * once and each agent gets an even share.
 *
 * @param agents simulated agents (nodes)
 * @param workloadsPerAgent identities each agent renews
 * @param ttl workload certificate lifetime
 * @param trustDomain SPIFFE trust domain
 */
record FleetPlan(int agents, int workloadsPerAgent, Duration ttl, String trustDomain) {

  /** The share of its lifetime after which a certificate is renewed (SPIRE, the Rotor agent). */
  static final double RENEW_AT = 0.5;

  FleetPlan {
    if (agents < 1 || workloadsPerAgent < 1) {
      throw new IllegalArgumentException("a fleet needs at least one agent and one workload each");
    }
    if (ttl.toMillis() < 2) {
      throw new IllegalArgumentException("ttl must be at least 2 ms");
    }
  }

  /**
   * The fleet for {@code identities} spread over {@code agents}: each agent gets
   * {@code identities / agents} of them (rounded down, at least one).
   */
  static FleetPlan of(long identities, int agents, Duration ttl, String trustDomain) {
    if (identities < agents) {
      throw new IllegalArgumentException(
          "identities (" + identities + ") must be at least the number of agents (" + agents + ")");
    }
    long perAgent = identities / agents;
    if (perAgent > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("too many identities per agent");
    }
    return new FleetPlan(agents, (int) perAgent, ttl, trustDomain);
  }

  /** Identities the fleet holds (agents × workloads per agent). */
  long identities() {
    return (long) agents * workloadsPerAgent;
  }

  /** Renewals per second the fleet needs: identities / (0.5 × ttl). */
  double requiredRate() {
    return identities() / (RENEW_AT * ttl.toNanos() / 1e9);
  }

  /**
   * When its arrivals are due: the required rate, reached after climbing linearly from 0 over
   * {@code ramp} ({@link Arrivals}; {@link Duration#ZERO}: the full rate from the start).
   */
  Arrivals arrivals(Duration ramp) {
    return new Arrivals(requiredRate(), ramp.toNanos());
  }

  /** The agent that renews arrival {@code n}. */
  int agentOf(long n) {
    return (int) (n % agents);
  }

  /** The workload (of its agent) that arrival {@code n} renews. */
  int workloadOf(long n) {
    return (int) ((n / agents) % workloadsPerAgent);
  }

  /** The node name of agent {@code agent}: {@code fleet-<agent>}. */
  static String node(int agent) {
    return "fleet-" + agent;
  }

  /** {@code spiffe://<td>/ns/fleet-<agent>/sa/w<workload>}. */
  String workloadId(int agent, int workload) {
    return "spiffe://" + trustDomain + "/ns/" + node(agent) + "/sa/w" + workload;
  }

  /** The identity the server gives agent {@code agent}: {@code spiffe://<td>/agent/k8s/fleet-<agent>}. */
  String agentId(int agent) {
    return "spiffe://" + trustDomain + "/agent/k8s/" + node(agent);
  }

  /** This plan with {@code identities} instead, same agents (for --find-max steps). */
  FleetPlan withIdentities(long identities) {
    return of(identities, agents, ttl, trustDomain);
  }
}
