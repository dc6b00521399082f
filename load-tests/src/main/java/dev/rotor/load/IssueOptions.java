package dev.rotor.load;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
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
    Map<String, String> given = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String name;
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        name = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new UsageException("--" + name + " needs a value");
        }
        value = args[++i];
      }
      if (!KNOWN.contains(name)) {
        throw new UsageException("unknown option --" + name);
      }
      if (given.put(name, value) != null) {
        throw new UsageException("--" + name + " given twice");
      }
    }

    String url = required(given, "url", null);
    String token = required(given, "token", env.apply("ROTOR_TOKEN"));
    int concurrency = intOption(given, "concurrency", 64, 1, 10_000);
    Duration duration = durationOption(given, "duration", Duration.ofSeconds(60));
    if (duration.isZero()) {
      throw new UsageException("--duration must be more than zero");
    }
    Duration warmup = durationOption(given, "warmup", Duration.ofSeconds(5));
    Optional<Path> caCert = Optional.ofNullable(given.get("cacert")).map(Path::of);
    if (caCert.isPresent() && !Files.isReadable(caCert.get())) {
      throw new UsageException("--cacert: cannot read " + caCert.get());
    }
    String trustDomain = given.getOrDefault("trust-domain", "rotor.local");
    // SPIFFE ID spec §2.1: trust domain characters are lower-case letters, digits, '.', '-', '_'.
    if (!trustDomain.matches("[a-z0-9._-]+")) {
      throw new UsageException(
          "--trust-domain: '" + trustDomain + "' is not a trust domain (a-z 0-9 . - _)");
    }
    String profile = given.getOrDefault("profile", "workload");
    if (!profile.matches("[A-Za-z0-9._-]+")) {
      throw new UsageException("--profile: '" + profile + "' is not a profile name");
    }
    int ttl = intOption(given, "ttl", 900, 1, Integer.MAX_VALUE);
    OptionalInt csrs =
        given.containsKey("csrs")
            ? OptionalInt.of(intOption(given, "csrs", 0, 1, 50_000_000))
            : OptionalInt.empty();
    Client client = enumOption(given, "client", Client.class, Client.JETTY);
    Check check = enumOption(given, "check", Check.class, Check.LIST);
    Duration timeout = durationOption(given, "timeout", Duration.ofSeconds(30));
    if (timeout.isZero()) {
      throw new UsageException("--timeout must be more than zero");
    }
    return new IssueOptions(
        baseUrl(url), token, concurrency, duration, warmup, caCert, trustDomain, profile, ttl,
        csrs, client, check, timeout);
  }

  boolean isHttps() {
    return baseUrl.startsWith("https:");
  }

  private static final Set<String> KNOWN =
      Set.of(
          "url", "token", "concurrency", "duration", "warmup", "cacert", "trust-domain",
          "profile", "ttl", "csrs", "client", "check", "timeout");

  private static String baseUrl(String url) throws UsageException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new UsageException("--url: '" + url + "' is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new UsageException("--url: '" + url + "' must start with https:// (or http://)");
    }
    if (uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
      throw new UsageException("--url: '" + url + "' needs a host and no query or fragment");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String required(Map<String, String> given, String name, String fallback)
      throws UsageException {
    String v = given.getOrDefault(name, fallback);
    if (v == null || v.isBlank()) {
      throw new UsageException("--" + name + " is required");
    }
    return v;
  }

  private static int intOption(Map<String, String> given, String name, int dflt, int min, int max)
      throws UsageException {
    String v = given.get(name);
    if (v == null) {
      return dflt;
    }
    int n;
    try {
      n = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + ": '" + v + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw new UsageException("--" + name + ": " + n + " is outside " + min + ".." + max);
    }
    return n;
  }

  private static Duration durationOption(Map<String, String> given, String name, Duration dflt)
      throws UsageException {
    String v = given.get(name);
    return v == null ? dflt : DurationArg.parse("--" + name, v);
  }

  private static <E extends Enum<E>> E enumOption(
      Map<String, String> given, String name, Class<E> type, E dflt) throws UsageException {
    String v = given.get(name);
    if (v == null) {
      return dflt;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v)) {
        return e;
      }
    }
    throw new UsageException("--" + name + ": '" + v + "' is not one of "
        + Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
  }
}
