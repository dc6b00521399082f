package dev.rotor.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * The options of {@code rotor-load issue}, parsed and checked before anything touches the network.
 *
 * @param baseUrl server URL without a trailing slash ({@code https://127.0.0.1:8443})
 * @param csrs pool size chosen by the user; empty means sized from the run length
 */
record IssueOptions(
    String baseUrl,
    String token,
    int concurrency,
    Duration duration,
    Duration warmup,
    Optional<Path> caCert,
    String trustDomain,
    String profile,
    int ttlSeconds,
    OptionalInt csrs,
    Client client,
    Check check,
    Duration timeout) {

  static final String USAGE =
      """
      usage: rotor-load issue --url URL --token TOKEN [options]

      Drives POST <url>/api/v1/certificates in a closed loop, then measures this machine's ECDSA
      ceiling and checks that every certificate received was recorded by the server.

        --url URL             server base URL, e.g. https://127.0.0.1:8443 (required)
        --token TOKEN         bearer token (required; or the environment variable ROTOR_TOKEN)
        --concurrency N       outstanding requests = connections (default 64)
        --duration D          measured time, e.g. 60s, 2m, 1m30s (default 60s)
        --warmup D            time before measuring, not counted (default 5s)
        --cacert FILE         PEM bundle of trust anchors; without it the server's
                              <url>/ca/bundle.pem is fetched once and trusted on first use
        --trust-domain TD     SPIFFE trust domain of the requested IDs (default rotor.local)
        --profile NAME        issuance profile (default workload)
        --ttl SECONDS         requested lifetime (default 900)
        --csrs N              CSRs to generate up front (default: 12000/s x run length,
                              capped by heap); when used up they are reused round-robin
        --client jetty|jdk    HTTP client: Jetty async (default) or the JDK HttpClient
        --check list|lookup   how to confirm serials are recorded: page through the listing
                              (default) or GET each serial
        --timeout D           per-request timeout (default 30s)
        --help                this text

      Exit status: 0 when there were no errors and no missing serials, 1 otherwise,
      2 for a bad command line.
      """;

  /** The HTTP client that drives the load. */
  enum Client {
    JETTY,
    JDK
  }

  /** How received serials are confirmed as recorded. */
  enum Check {
    LIST,
    LOOKUP
  }

  static IssueOptions parse(String[] args, Function<String, String> env) throws UsageException {
    CommandLine given = CommandLine.parse(args, KNOWN);
    String url = given.baseUrl(false);
    String token = given.required("token", env.apply("ROTOR_TOKEN"));
    int concurrency = given.integer("concurrency", 64, 1, 10_000);
    Duration duration = given.duration("duration", Duration.ofSeconds(60));
    if (duration.isZero()) {
      throw new UsageException("--duration must be more than zero");
    }
    Duration warmup = given.duration("warmup", Duration.ofSeconds(5));
    Optional<Path> caCert = Optional.ofNullable(given.string("cacert", null)).map(Path::of);
    if (caCert.isPresent() && !Files.isReadable(caCert.get())) {
      throw new UsageException("--cacert: cannot read " + caCert.get());
    }
    String trustDomain = given.trustDomain();
    String profile = given.string("profile", "workload");
    if (!profile.matches("[A-Za-z0-9._-]+")) {
      throw new UsageException("--profile: '" + profile + "' is not a profile name");
    }
    int ttl = given.integer("ttl", 900, 1, Integer.MAX_VALUE);
    OptionalInt csrs =
        given.has("csrs")
            ? OptionalInt.of(given.integer("csrs", 0, 1, 50_000_000))
            : OptionalInt.empty();
    Client client = given.choice("client", Client.class, Client.JETTY);
    Check check = given.choice("check", Check.class, Check.LIST);
    Duration timeout = given.duration("timeout", Duration.ofSeconds(30));
    if (timeout.isZero()) {
      throw new UsageException("--timeout must be more than zero");
    }
    return new IssueOptions(
        url, token, concurrency, duration, warmup, caCert, trustDomain, profile, ttl,
        csrs, client, check, timeout);
  }

  boolean isHttps() {
    return baseUrl.startsWith("https:");
  }

  private static final Set<String> KNOWN =
      Set.of(
          "url", "token", "concurrency", "duration", "warmup", "cacert", "trust-domain",
          "profile", "ttl", "csrs", "client", "check", "timeout");
}
