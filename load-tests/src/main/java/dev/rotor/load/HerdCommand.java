package dev.rotor.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.agent.api.ApiError;
import dev.rotor.agent.renew.Backoff;
import dev.rotor.pki.CryptoProviders;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;

/**
 * {@code rotor-load herd}: the thundering herd after a CA outage. A fleet of agents is enrolled
 * (join token + attestation, as for {@code renew-fleet}); then the client holds every agent back
 * for {@code --outage} — the CA is unreachable for them, so the renewals due at half-life all fall
 * inside it — and releases them all at the same instant. Each agent then does what the real
 * agent does: {@code POST /agent/v1/renew} over mTLS with its current certificate (a new
 * connection, full handshake), and on 429/503 waits at least the server's Retry-After plus jitter
 * (ca-agent's {@link Backoff}), otherwise backs off exponentially; an agent whose certificate
 * expires before it is renewed has lost its identity (a real agent would re-attest) and counts
 * as a failure.
 */
final class HerdCommand {

  static final String USAGE =
      """
      usage: rotor-load herd --url URL --token TOKEN [options]

      Enrols --agents agents, holds them all back for --outage (a CA outage as the agents see
      it), then releases them at once: each renews its own certificate, honouring 429/503 +
      Retry-After with jitter like ca-agent. The outage must be shorter than the server's agent
      certificate lifetime (profiles: agent: defaultTtl). Scaled run for the real case (15-minute
      certificates, 10-minute outage): defaultTtl 3m with --outage 2m.

        --url URL             server base URL, https://... (required)
        --token TOKEN         operator/admin token for POST /api/v1/join-tokens
                              (required; or the environment variable ROTOR_TOKEN)
        --agents N            agents in the herd (default 10000)
        --outage D            how long the CA is unreachable for the agents, counted from the
                              first agent's certificate (default 2m); the release follows it
        --ca-bundle FILE      PEM trust anchors; without it <url>/ca/bundle.pem is fetched
                              once and trusted on first use
        --trust-domain TD     SPIFFE trust domain (default rotor.local)
        --ready-url URL       the server's readiness URL, polled every 250 ms during the herd
                              (default: http://<host of --url>:8080/readyz)
        --server-pid PID      read the server's CPU time and RSS from /proc/PID
        --timeout D           per-request timeout (default 30s)
        --enrol-concurrency N join-token + attestation requests in flight (default 32)
        (agents are released in random order, not in enrolment = expiry order)
        --spread D            release the agents uniformly over D instead of in one instant
                              (default 0: all at once, the worst case; a real fleet's retry
                              timers, at the 30 s backoff cap, fall over about 15 s)
        --warm                open every agent's connection before the outage and keep it open
                              through it (a GET over it every 10 s, as a real agent's revocation
                              long poll keeps its connection busy), so that the release arrives
                              on open connections (a CA process that stayed up, e.g. a database
                              outage) instead of new handshakes (a restarted CA)
        --help                this text

      Exit status: 0 when every agent renewed before its certificate expired and readiness never
      failed, 1 otherwise, 2 for a bad command line.
      """;

  private static final Set<String> KNOWN = Set.of("url", "token", "agents", "outage", "ca-bundle",
      "trust-domain", "ready-url", "server-pid", "timeout", "enrol-concurrency", "spread", "warm");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_RESPONSE_BYTES = 64 * 1024;
  /** With --warm, how often each agent's connection is used during the outage (the client closes it after 25 s idle). */
  private static final Duration KEEP_OPEN_EVERY = Duration.ofSeconds(10);

  /** The parsed options. */
  record Options(String baseUrl, String token, int agents, Duration outage, Optional<Path> caBundle,
      String trustDomain, URI readyUrl, OptionalLong serverPid, Duration timeout, int enrolConcurrency,
      Duration spread, boolean warm) {

    static Options parse(String[] args, Function<String, String> env) throws UsageException {
      CommandLine given = CommandLine.parse(args, KNOWN, Set.of("warm"));
      String url = given.baseUrl(true);
      String token = given.required("token", env.apply("ROTOR_TOKEN"));
      int agents = given.integer("agents", 10_000, 1, 1_000_000);
      Duration outage = given.duration("outage", Duration.ofMinutes(2));
      Optional<Path> bundle = Optional.ofNullable(given.string("ca-bundle", null)).map(Path::of);
      if (bundle.isPresent() && !Files.isReadable(bundle.get())) {
        throw new UsageException("--ca-bundle: cannot read " + bundle.get());
      }
      URI ready;
      try {
        ready = URI.create(given.string("ready-url", "http://" + URI.create(url).getHost() + ":8080/readyz"));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--ready-url: not a URL");
      }
      OptionalLong pid = given.has("server-pid")
          ? OptionalLong.of(given.integer("server-pid", 0, 1, Integer.MAX_VALUE)) : OptionalLong.empty();
      Duration timeout = given.duration("timeout", Duration.ofSeconds(30));
      if (timeout.isZero()) {
        throw new UsageException("--timeout must be more than zero");
      }
      Duration spread = given.duration("spread", Duration.ZERO);
      if (spread.compareTo(outage) > 0) {
        throw new UsageException("--spread must not be longer than --outage");
      }
      return new Options(url, token, agents, outage, bundle, given.trustDomain(), ready, pid, timeout,
          given.integer("enrol-concurrency", 32, 1, 1024), spread, given.has("warm"));
    }
  }

  /** What happened to one agent after the release. */
  private static final class Outcome {
    final int agent;
    final Instant notAfter;
    int attempts;
    long renewedAtNanos = -1;
    long latencyNanos = -1;
    boolean expired;

    Outcome(int agent, Instant notAfter) {
      this.agent = agent;
      this.notAfter = notAfter;
    }
  }

  private final Options options;
  private final PrintStream out;
  private final AtomicLong shed429 = new AtomicLong();
  private final AtomicLong shed503 = new AtomicLong();
  private final AtomicLong retryAfterSum = new AtomicLong();
  private final AtomicLong otherErrors = new AtomicLong();
  private final Map<String, Long> errorKinds = new ConcurrentHashMap<>();

  HerdCommand(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  int run() throws Exception {
    Provider provider = CryptoProviders.signing();
    FleetPlan plan = FleetPlan.of(options.agents(), options.agents(), Duration.ofMinutes(15), options.trustDomain());
    out.printf(Locale.ROOT, "rotor-load herd %s  agents %d  outage %s%n", options.baseUrl(), options.agents(),
        DurationArg.format(options.outage()));
    TrustAnchors anchors = IssueCommand.trust(options.caBundle(), options.baseUrl(), "--ca-bundle", out);
    TrustManager[] trust = anchors.sslContextTrustManagers();
    try (FleetClient client = new FleetClient(Duration.ofSeconds(25))) {
      // The outage starts with the first certificate: the first-enrolled agents face exactly
      // --outage, the later ones a little less (their renewals still fall due inside it).
      Instant outageEnds = Instant.now().plus(options.outage());
      List<AgentCredential> credentials = FleetEnrolment.enrol(plan, options.baseUrl(), options.token(), anchors,
          trust, client, provider, options.enrolConcurrency(), options.timeout(), out);
      Instant firstExpiry = credentials.stream().map(AgentCredential::notAfter).min(Comparator.naturalOrder()).orElseThrow();
      Instant lastExpiry = credentials.stream().map(AgentCredential::notAfter).max(Comparator.naturalOrder()).orElseThrow();
      Duration lifetime = credentials.getFirst().lifetime();
      Duration leftAtRelease = Duration.between(outageEnds, firstExpiry);
      out.printf(Locale.ROOT, "agents: certificates live %d s (renewal due at half-life, %d s); expiries spread over"
          + " %d s; the outage of %d s leaves the first-expiring %d s after the release%n", lifetime.toSeconds(),
          lifetime.toSeconds() / 2, Duration.between(firstExpiry, lastExpiry).toSeconds(), options.outage().toSeconds(),
          leftAtRelease.toSeconds());
      if (leftAtRelease.isNegative() || leftAtRelease.isZero()) {
        out.println("herd: the outage outlasts the agent certificates; shorten --outage or lengthen the agent profile");
        return 1;
      }
      List<FleetAgent> agents = new ArrayList<>();
      if (options.warm()) {
        for (AgentCredential c : credentials) {
          agents.add(new FleetAgent(c.agent(), c, client.executor()));
        }
        FleetEnrolment.connect(agents, client, options.baseUrl(), RenewFleetCommand.CONNECT_CONCURRENCY,
            options.timeout(), Duration.ofSeconds(25), out);
      }
      // Keys and CSRs made now, so that the release measures the server and not key generation here.
      byte[][] bodies = new byte[credentials.size()][];
      KeyPair[] keys = new KeyPair[credentials.size()];
      KeyPairGenerator kpg = CsrPool.keyPairGenerator(provider);
      for (int i = 0; i < credentials.size(); i++) {
        keys[i] = kpg.generateKeyPair();
        bodies[i] = JSON.writeValueAsBytes(Map.of("csr", CsrPool.pem(CsrPool.create(keys[i], plan.agentId(i), provider))));
      }
      Duration hold = Duration.between(Instant.now(), outageEnds);
      if (hold.isNegative()) {
        out.println("herd: enrolment took longer than the outage; lengthen --outage or raise --enrol-concurrency");
        return 1;
      }
      out.printf(Locale.ROOT, "outage: holding all %d agents back for another %s (%s since the first certificate)%n",
          credentials.size(), DurationArg.format(hold), DurationArg.format(options.outage()));
      if (options.warm()) {
        // A real agent's connection never idles out: its revocation long poll keeps it busy.
        int open = FleetEnrolment.keepOpenUntil(agents, client, options.baseUrl(), outageEnds, KEEP_OPEN_EVERY,
            RenewFleetCommand.CONNECT_CONCURRENCY, options.timeout());
        out.printf(Locale.ROOT, "outage: connections kept open (a GET over each every %d s): %d open at the release%n",
            KEEP_OPEN_EVERY.toSeconds(), open);
      } else {
        Thread.sleep(hold.toMillis());
      }
      return release(plan, client, credentials, bodies, trust);
    }
  }

  private int release(FleetPlan plan, FleetClient client, List<AgentCredential> credentials, byte[][] bodies,
      TrustManager[] trust) throws Exception {
    URI renew = URI.create(options.baseUrl() + "/agent/v1/renew");
    Outcome[] outcomes = new Outcome[credentials.size()];
    CountDownLatch finished = new CountDownLatch(credentials.size());
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herd-retries").daemon(true).factory());
    Monitor monitor = new Monitor(options.readyUrl(), options.serverPid());
    CpuSample cpuBefore = CpuSample.now();
    long release = System.nanoTime();
    Instant releasedAt = Instant.now();
    monitor.start();
    out.printf(Locale.ROOT, "release: %d agents renew %s%n", credentials.size(), options.spread().isZero()
        ? "at once" : "spread uniformly over " + DurationArg.format(options.spread()));
    // In random order: enrolment order is expiry order, and releasing in it would make the
    // first-expiring renew first whatever the server does (connections are accepted in order).
    List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, credentials.size()).boxed().toList());
    java.util.Collections.shuffle(order);
    for (int i : order) {
      outcomes[i] = new Outcome(i, credentials.get(i).notAfter());
      AgentCredential c = credentials.get(i);
      Outcome o = outcomes[i];
      byte[] body = bodies[i];
      if (options.spread().isZero()) {
        attempt(client, renew, c, body, o, finished, timers, plan);
      } else {
        timers.schedule(() -> attempt(client, renew, c, body, o, finished, timers, plan),
            ThreadLocalRandom.current().nextLong(options.spread().toMillis()), TimeUnit.MILLISECONDS);
      }
    }
    Instant lastExpiry = credentials.stream().map(AgentCredential::notAfter).max(Comparator.naturalOrder()).orElseThrow();
    boolean all = finished.await(Duration.between(Instant.now(), lastExpiry).toMillis() + 10_000, TimeUnit.MILLISECONDS);
    double wall = (System.nanoTime() - release) / 1e9;
    timers.shutdownNow();
    Monitor.Figures server = monitor.stop();
    double machineBusy = CpuSample.now().machineBusySince(cpuBefore);
    return report(outcomes, all, wall, release, releasedAt, server, machineBusy);
  }

  private void attempt(FleetClient client, URI renew, AgentCredential credential, byte[] body, Outcome o,
      CountDownLatch finished, ScheduledExecutorService timers, FleetPlan plan) {
    o.attempts++;
    long start = System.nanoTime();
    client.request(credential, renew)
        .method(HttpMethod.POST)
        .body(new BytesRequestContent("application/json", body))
        .timeout(options.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .send(new BufferingResponseListener(MAX_RESPONSE_BYTES) {
          @Override
          public void onComplete(Result result) {
            int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
            Optional<Duration> hint = Optional.empty();
            if (!result.isFailed() && status == 201) {
              try {
                CertificateResponse r = CertificateResponse.parse(getContent());
                if (r.spiffeId().equals(plan.agentId(o.agent))) {
                  synchronized (o) {
                    o.renewedAtNanos = System.nanoTime();
                    o.latencyNanos = o.renewedAtNanos - start;
                  }
                  finished.countDown();
                  return;
                }
                count("201 for another identity");
              } catch (IOException e) {
                count("unusable 201: " + e.getMessage());
              }
            } else if (status == 429 || status == 503) {
              (status == 429 ? shed429 : shed503).incrementAndGet();
              hint = ApiError.parseRetryAfter(result.getResponse().getHeaders().get(HttpHeader.RETRY_AFTER), Instant.now());
              hint.ifPresent(h -> retryAfterSum.addAndGet(h.toSeconds()));
            } else {
              count(status == 0 ? "no answer: " + RotorLoad.describe(result.getFailure()) : "HTTP " + status);
            }
            Duration delay = Backoff.DEFAULT.delay(o.attempts - 1, ThreadLocalRandom.current().nextDouble(), hint);
            Duration left = Duration.between(Instant.now(), o.notAfter);
            if (left.compareTo(delay) <= 0) {
              // As the agent: it does not wait past expiry; the identity is lost (re-attestation).
              o.expired = true;
              finished.countDown();
              return;
            }
            try {
              timers.schedule(() -> attempt(client, renew, credential, body, o, finished, timers, plan),
                  delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
              finished.countDown();
            }
          }
        });
  }

  private void count(String kind) {
    otherErrors.incrementAndGet();
    String k = kind.length() > 120 ? kind.substring(0, 120) : kind;
    errorKinds.merge(k, 1L, Long::sum);
  }

  private int report(Outcome[] outcomes, boolean all, double wall, long release, Instant releasedAt,
      Monitor.Figures server, double machineBusy) {
    List<Outcome> renewed = Arrays.stream(outcomes).filter(o -> o.renewedAtNanos >= 0).toList();
    long beforeExpiry = renewed.stream()
        .filter(o -> releasedAt.plusNanos(o.renewedAtNanos - release).isBefore(o.notAfter)).count();
    long expired = Arrays.stream(outcomes).filter(o -> o.expired).count();
    long unfinished = outcomes.length - renewed.size() - expired;
    double allRenewedS = renewed.isEmpty() ? -1
        : renewed.stream().mapToLong(o -> o.renewedAtNanos).max().getAsLong() / 1e9 - release / 1e9;
    long[] latency = renewed.stream().mapToLong(o -> o.latencyNanos).sorted().toArray();
    long attempts = Arrays.stream(outcomes).mapToLong(o -> o.attempts).sum();
    double minLeft = renewed.stream().mapToDouble(o -> Duration.between(releasedAt.plusNanos(o.renewedAtNanos - release),
        o.notAfter).toMillis() / 1000.0).min().orElse(-1);
    // Order: how long the first- and the last-expiring tenth waited for their renewal.
    List<Outcome> byExpiry = renewed.stream().sorted(Comparator.comparing((Outcome o) -> o.notAfter)).toList();
    int tenth = Math.max(1, byExpiry.size() / 10);
    double firstTenth = median(byExpiry.subList(0, tenth).stream().mapToLong(o -> o.renewedAtNanos - release).toArray());
    double lastTenth = median(byExpiry.subList(byExpiry.size() - tenth, byExpiry.size()).stream()
        .mapToLong(o -> o.renewedAtNanos - release).toArray());
    out.printf(Locale.ROOT, "renewed       %d of %d agents, %d before their certificate expired (closest: %.1f s left);"
        + " %d expired first, %d unfinished%n", renewed.size(), outcomes.length, beforeExpiry, minLeft, expired, unfinished);
    out.printf(Locale.ROOT, "time          the last renewal %.1f s after the release%n", allRenewedS);
    out.printf(Locale.ROOT, "requests      %d attempts: %d shed with 429, %d with 503 (mean Retry-After %.1f s), %d other"
        + " errors%n", attempts, shed429.get(), shed503.get(),
        (shed429.get() + shed503.get()) == 0 ? 0.0 : retryAfterSum.get() / (double) (shed429.get() + shed503.get()),
        otherErrors.get());
    errorKinds.forEach((k, n) -> out.printf(Locale.ROOT, "  %6d × %s%n", n, k));
    out.printf(Locale.ROOT, "latency ms    successful renewals (request to answer): p50 %.1f  p99 %.1f  max %.1f%n",
        pct(latency, 0.50), pct(latency, 0.99), pct(latency, 1.0));
    out.printf(Locale.ROOT, "order         median time to renewal: first-expiring tenth %.1f s, last-expiring tenth %.1f s%n",
        firstTenth / 1e9, lastTenth / 1e9);
    out.printf(Locale.ROOT, "readiness     %d polls, %d not ready or unreachable%n", server.readyPolls(), server.readyFailures());
    if (server.cpuSeconds() >= 0) {
      out.printf(Locale.ROOT, "server        %.1f s CPU in %.1f s (%.0f%% of one core), RSS max %d MB"
          + " (the server JVM only; an embedded PostgreSQL runs as separate processes)%n", server.cpuSeconds(), wall,
          100 * server.cpuSeconds() / wall, server.maxRssKb() / 1024);
    }
    if (machineBusy >= 0) {
      out.printf(Locale.ROOT, "machine       busy %.0f%% of %d cores during the herd (shared machine)%n", 100 * machineBusy,
          Runtime.getRuntime().availableProcessors());
    }
    boolean pass = all && beforeExpiry == outcomes.length && server.readyFailures() == 0;
    out.printf(Locale.ROOT, "RESULT herd agents=%d outage_s=%d spread_s=%d warm=%b all_renewed_s=%.1f renewed=%d before_expiry=%d expired=%d"
            + " shed_429=%d shed_503=%d other_errors=%d attempts=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f"
            + " first_tenth_s=%.1f last_tenth_s=%.1f ready_failures=%d server_cpu_s=%.1f server_rss_max_mb=%d verdict=%s%n",
        outcomes.length, options.outage().toSeconds(), options.spread().toSeconds(), options.warm(), allRenewedS, renewed.size(), beforeExpiry, expired,
        shed429.get(), shed503.get(), otherErrors.get(), attempts, pct(latency, 0.5), pct(latency, 0.99),
        pct(latency, 1.0), firstTenth / 1e9, lastTenth / 1e9, server.readyFailures(), server.cpuSeconds(),
        server.maxRssKb() / 1024, pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
  }

  private static double pct(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return -1;
    }
    int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(p * sortedNanos.length) - 1);
    return sortedNanos[Math.max(0, i)] / 1e6;
  }

  private static double median(long[] values) {
    if (values.length == 0) {
      return -1;
    }
    long[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  /** Polls readiness every 250 ms and the server's /proc every second while the herd runs. */
  private static final class Monitor {
    record Figures(long readyPolls, long readyFailures, double cpuSeconds, long maxRssKb) {}

    private final URI ready;
    private final OptionalLong pid;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herd-monitor").daemon(true).factory());
    private final AtomicLong polls = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile long maxRssKb;
    private long ticksAtStart = -1;

    Monitor(URI ready, OptionalLong pid) {
      this.ready = ready;
      this.pid = pid;
    }

    void start() {
      ticksAtStart = ticks();
      timer.scheduleAtFixedRate(() -> {
        polls.incrementAndGet();
        try {
          HttpResponse<Void> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).GET().build(),
              HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() != 200) {
            failures.incrementAndGet();
          }
        } catch (IOException e) {
          failures.incrementAndGet();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, 0, 250, TimeUnit.MILLISECONDS);
      timer.scheduleAtFixedRate(() -> maxRssKb = Math.max(maxRssKb, rssKb()), 0, 1, TimeUnit.SECONDS);
    }

    Figures stop() {
      timer.shutdownNow();
      http.close();
      long ticks = ticks();
      maxRssKb = Math.max(maxRssKb, rssKb());
      double cpu = ticks < 0 || ticksAtStart < 0 ? -1 : (ticks - ticksAtStart) / 100.0;
      return new Figures(polls.get(), failures.get(), cpu, maxRssKb);
    }

    /** utime + stime of the server, in clock ticks (USER_HZ, 100 on Linux), or -1. */
    private long ticks() {
      if (pid.isEmpty()) {
        return -1;
      }
      try {
        String stat = Files.readString(Path.of("/proc/" + pid.getAsLong() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }

    private long rssKb() {
      if (pid.isEmpty()) {
        return 0;
      }
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid.getAsLong() + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
          }
        }
      } catch (IOException | RuntimeException e) {
        // gone
      }
      return 0;
    }
  }
}
