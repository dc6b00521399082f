package dev.rotor.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * The options of {@code rotor-load renew-fleet}, parsed and checked before anything touches the
 * network.
 *
 * @param baseUrl server URL without a trailing slash
 * @param token operator or admin API token (creates the join tokens)
 * @param caBundle PEM trust anchors; empty means fetched from {@code <url>/ca/bundle.pem}
 * @param csrs workload CSR pool size chosen by the user; empty means sized from the run
 * @param idleTimeout how long an agent keeps an idle connection open
 * @param enrolConcurrency join-token + attestation requests in flight while enrolling
 * @param findMax step the fleet up until it no longer keeps up
 * @param maxSteps the most steps {@code --find-max} takes
 */
record FleetOptions(
    String baseUrl,
    String token,
    Optional<Path> caBundle,
    long identities,
    int agents,
    Duration ttl,
    Duration duration,
    Duration warmup,
    Duration ramp,
    String trustDomain,
    OptionalInt csrs,
    Duration timeout,
    Duration idleTimeout,
    int enrolConcurrency,
    boolean findMax,
    int maxSteps) {

  static final String USAGE =
      """
      usage: rotor-load renew-fleet --url URL --token TOKEN [options]

      Simulates a fleet of node agents, each with its own agent certificate (join-token
      attestation) and one keep-alive mTLS connection, and drives the steady renewal rate the
      fleet needs, identities / (0.5 x ttl), open-loop against POST /agent/v1/workloads/sign.
      The server must allow the fleet's identities: start it with
      ROTOR_STATIC_POLICY=<file written by rotor-load fleet-policy --agents N>.

        --url URL             server base URL, https://... (required)
        --token TOKEN         operator/admin token for POST /api/v1/join-tokens
                              (required; or the environment variable ROTOR_TOKEN)
        --ca-bundle FILE      PEM trust anchors; without it <url>/ca/bundle.pem is fetched
                              once and trusted on first use
        --identities N        workload identities in the fleet (default 1000000)
        --agents N            agents (nodes) sharing them evenly (default 10000)
        --ttl D               workload certificate lifetime, sent as ttlSeconds; the server's
                              workload profile must allow it (default 15m)
        --duration D          measured time (default 60s)
        --warmup D            load before measuring, not counted (default 30s)
        --ramp D              the arrival rate climbs linearly from 0 to the fleet's rate
                              over the first D of the warmup, as a fleet reaching a freshly
                              started server would (default: two thirds of the warmup, so
                              the full rate runs for its last third and the window measures
                              the steady state, not the step into it; 0s: the full rate from
                              the first instant); at most --warmup
        --trust-domain TD     SPIFFE trust domain (default rotor.local)
        --csrs N              workload CSRs to generate up front (default: enough for the
                              run, at most 200000); reused round-robin when used up
        --timeout D           per-request timeout (default 30s)
        --idle-timeout D      an agent closes its connection after this long without a
                              request and reconnects (resuming TLS) on the next; keep it
                              below the server's idle timeout, 30s (default 25s)
        --enrol-concurrency N join-token + attestation requests in flight (default 32)
        --find-max            step the identities up x1.25 per step (each step --warmup +
                              --duration) until the fleet no longer keeps up; if the
                              first step fails, step down /1.25 until one keeps up
        --max-steps N         the most steps --find-max takes (default 12)
        --help                this text

      Exit status: 0 when the run kept up (achieved >= 99% of required, p99 < 200 ms, no
      errors; with --find-max: when at least one step did), 1 otherwise, 2 for a bad command line.
      """;

  private static final Set<String> KNOWN = Set.of(
      "url", "token", "ca-bundle", "identities", "agents", "ttl", "duration", "warmup", "ramp",
      "trust-domain", "csrs", "timeout", "idle-timeout", "enrol-concurrency", "find-max", "max-steps");

  static FleetOptions parse(String[] args, Function<String, String> env) throws UsageException {
    CommandLine given = CommandLine.parse(args, KNOWN, Set.of("find-max"));
    String url = given.baseUrl(true);
    String token = given.required("token", env.apply("ROTOR_TOKEN"));
    Optional<Path> bundle = Optional.ofNullable(given.string("ca-bundle", null)).map(Path::of);
    if (bundle.isPresent() && !Files.isReadable(bundle.get())) {
      throw new UsageException("--ca-bundle: cannot read " + bundle.get());
    }
    long identities = given.integer("identities", 1_000_000, 1, Integer.MAX_VALUE);
    int agents = given.integer("agents", 10_000, 1, 1_000_000);
    if (identities < agents) {
      throw new UsageException("--identities (" + identities + ") must be at least --agents ("
          + agents + "): every agent renews at least one workload");
    }
    Duration ttl = given.duration("ttl", Duration.ofMinutes(15));
    if (ttl.toSeconds() < 1 || ttl.toNanos() % 1_000_000_000L != 0) {
      throw new UsageException("--ttl must be whole seconds, at least 1s (it is sent as ttlSeconds)");
    }
    Duration duration = given.duration("duration", Duration.ofSeconds(60));
    if (duration.isZero()) {
      throw new UsageException("--duration must be more than zero");
    }
    Duration warmup = given.duration("warmup", Duration.ofSeconds(30));
    Duration ramp = given.duration("ramp", warmup.multipliedBy(2).dividedBy(3));
    if (ramp.compareTo(warmup) > 0) {
      throw new UsageException("--ramp (" + DurationArg.format(ramp) + ") must not be longer than --warmup ("
          + DurationArg.format(warmup) + "): the measured window runs at the full rate");
    }
    String trustDomain = given.trustDomain();
    OptionalInt csrs = given.has("csrs")
        ? OptionalInt.of(given.integer("csrs", 0, 1, 50_000_000)) : OptionalInt.empty();
    Duration timeout = given.duration("timeout", Duration.ofSeconds(30));
    if (timeout.isZero()) {
      throw new UsageException("--timeout must be more than zero");
    }
    Duration idleTimeout = given.duration("idle-timeout", Duration.ofSeconds(25));
    if (idleTimeout.isZero()) {
      throw new UsageException("--idle-timeout must be more than zero");
    }
    int enrol = given.integer("enrol-concurrency", 32, 1, 1024);
    boolean findMax = given.has("find-max");
    int maxSteps = given.integer("max-steps", 12, 1, 100);
    return new FleetOptions(url, token, bundle, identities, agents, ttl, duration, warmup, ramp,
        trustDomain, csrs, timeout, idleTimeout, enrol, findMax, maxSteps);
  }

  FleetPlan plan() {
    return FleetPlan.of(identities, agents, ttl, trustDomain);
  }
}
