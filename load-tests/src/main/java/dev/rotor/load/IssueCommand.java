package dev.rotor.load;

import dev.rotor.pki.CryptoProviders;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * {@code rotor-load issue}: prepare CSRs, settle trust, drive the load, measure the ECDSA ceiling,
 * check the serials, print everything. Returns the exit status.
 */
final class IssueCommand {

  static final Duration CEILING_WARMUP = Duration.ofSeconds(1);
  static final Duration CEILING_EACH = Duration.ofSeconds(3);

  private final IssueOptions options;
  private final PrintStream out;
  private final Duration ceilingWarmup;
  private final Duration ceilingEach;

  IssueCommand(IssueOptions options, PrintStream out) {
    this(options, out, CEILING_WARMUP, CEILING_EACH);
  }

  /** With shorter ceiling measurements, for tests that check the flow rather than the figure. */
  IssueCommand(IssueOptions options, PrintStream out, Duration ceilingWarmup,
      Duration ceilingEach) {
    this.options = options;
    this.out = out;
    this.ceilingWarmup = ceilingWarmup;
    this.ceilingEach = ceilingEach;
  }

  int run() throws Exception {
    Provider provider = CryptoProviders.signing();
    int cores = Runtime.getRuntime().availableProcessors();
    out.printf(Locale.ROOT, "rotor-load issue %s  concurrency %d  warmup %s  duration %s  client %s%n",
        options.baseUrl(), options.concurrency(), DurationArg.format(options.warmup()),
        DurationArg.format(options.duration()), options.client().name().toLowerCase(Locale.ROOT));
    out.printf(Locale.ROOT, "provider %s %s (%s), %d cores, java %s%n", provider.getName(),
        provider.getVersionStr(), CryptoProviders.isNative() ? "native" : "pure java", cores,
        Runtime.version());

    TrustAnchors trust = options.isHttps() ? trust() : null;

    CsrPool pool = csrs(provider, cores);

    CpuSample quietStart = CpuSample.now();
    Thread.sleep(500);
    double busyBefore = CpuSample.now().machineBusySince(quietStart);
    if (busyBefore >= 0) {
      out.printf(Locale.ROOT, "machine before the load: %.0f%% busy%s%n", 100 * busyBefore,
          busyBefore > 0.10 ? " — something else is running; figures will be low and noisy" : "");
    }

    IssueRun.Outcome load;
    try (LoadTransport transport = transport(trust)) {
      out.println("load: running");
      load = IssueRun.run(transport, pool, options.concurrency(), options.warmup(),
          options.duration(), options.timeout(), out);
    }
    IssueRecorder r = load.recorder();
    double seconds = load.measured().toNanos() / 1e9;
    double certsPerSecond = r.measuredIssued() / seconds;
    out.printf(Locale.ROOT, "requests      %d in total, %d in the measured %s (%d certificates)%n",
        r.requests(), r.measuredRequests(), DurationArg.format(load.measured()),
        r.measuredIssued());
    out.printf(Locale.ROOT, "certs/s       %.1f%n", certsPerSecond);
    out.printf(Locale.ROOT, "latency ms    %s%n", IssueReport.latencyLine(r.latencyMicros()));
    out.printf(Locale.ROOT, "errors        %s%n",
        IssueReport.errorsLine(r.errorCount(), r.errorsByKind()));
    for (String sample : r.errorSamples()) {
      out.println("  " + sample);
    }
    if (load.stillInFlight() > 0) {
      out.printf(Locale.ROOT, "warning: %d workers had not finished %s after the end%n",
          load.stillInFlight(), DurationArg.format(options.timeout().plusSeconds(5)));
    }
    if (pool.reused() > 0) {
      out.printf(Locale.ROOT, "csr reuse     the pool of %d ran out: %d requests reused a CSR"
          + " round-robin (same key and SAN sent again)%n", pool.size(), pool.reused());
    }
    if (load.clientCpuSeconds() >= 0) {
      out.printf(Locale.ROOT, "client cpu    %.1f s in the window = %.0f%% of %d cores, %.0f µs"
              + " per request%s%n",
          load.clientCpuSeconds(), 100 * load.clientCpuSeconds() / seconds / cores, cores,
          r.measuredRequests() == 0 ? 0 : 1e6 * load.clientCpuSeconds() / r.measuredRequests(),
          load.machineBusy() < 0 ? "" : String.format(Locale.ROOT,
              "; machine busy %.0f%% (server and the rest ≈ %.0f%%)", 100 * load.machineBusy(),
              Math.max(0, 100 * load.machineBusy()
                  - 100 * load.clientCpuSeconds() / seconds / cores)));
    }

    CryptoCeiling.Throughput ecdsa = ceiling(out, provider, cores, ceilingWarmup, ceilingEach);
    out.printf(Locale.ROOT, "of ceiling    %.1f%%%n", 100 * certsPerSecond / ecdsa.ceiling());

    SerialCheck.Verdict verdict = check(trust, r.serials());
    long missing = verdict == null ? -1 : verdict.missing() + verdict.unverified();

    IssueReport report = new IssueReport(certsPerSecond, r.requests(), r.latencyMicros(),
        r.errorsByKind(), r.errorCount(), missing, ecdsa.ceiling(), load.clientCpuSeconds());
    out.println(report.resultLine());
    return report.exitCode();
  }

  /**
   * Measures and prints the ECDSA ceiling. Also prints how busy the machine was meanwhile: the
   * figure only means "this machine" when nothing else (a server still flushing, a build) ran.
   */
  static CryptoCeiling.Throughput ceiling(PrintStream out, Provider provider, int threads,
      Duration warmup, Duration each) throws InterruptedException {
    out.printf(Locale.ROOT, "ceiling: ECDSA P-256 SHA256withECDSA with %s %s on %d threads"
        + " (%s each)%n", provider.getName(), provider.getVersionStr(), threads,
        DurationArg.format(each));
    CpuSample before = CpuSample.now();
    CryptoCeiling.Throughput ecdsa = CryptoCeiling.measure(provider, threads, warmup, each);
    CpuSample after = CpuSample.now();
    out.printf(Locale.ROOT, "signs/s       %.0f%n", ecdsa.signsPerSecond());
    out.printf(Locale.ROOT, "verifies/s    %.0f%n", ecdsa.verifiesPerSecond());
    out.printf(Locale.ROOT, "ceiling       %.0f issuances/s (1 verify + 1 sign each)%n",
        ecdsa.ceiling());
    double busy = after.machineBusySince(before);
    double own = after.processSecondsSince(before);
    int cores = Runtime.getRuntime().availableProcessors();
    double wall = 2 * (warmup.toNanos() + each.toNanos()) / 1e9;
    if (busy >= 0 && own >= 0) {
      double others = Math.max(0, busy - own / wall / cores);
      out.printf(Locale.ROOT, "  machine busy %.0f%% meanwhile, %.0f%% of it other processes%s%n",
          100 * busy, 100 * others,
          others > 0.10 ? " — the ceiling is understated; rerun on a quiet machine" : "");
    }
    return ecdsa;
  }

  private TrustAnchors trust() throws Exception {
    return trust(options.caCert(), options.baseUrl(), "--cacert", out);
  }

  /**
   * The trust anchors: the PEM file {@code bundle}, or else the server's {@code /ca/bundle.pem}
   * fetched once and trusted on first use. Prints where they came from and their fingerprints.
   */
  static TrustAnchors trust(Optional<Path> bundle, String baseUrl, String option, PrintStream out)
      throws Exception {
    if (bundle.isPresent()) {
      TrustAnchors trust = TrustAnchors.fromPem(Files.readAllBytes(bundle.get()));
      out.printf(Locale.ROOT, "trust: %d anchors from %s%n", trust.certificates().size(),
          bundle.get());
      printAnchors(trust.certificates(), out);
      return trust;
    }
    TrustAnchors trust = TrustAnchors.fetchTrustOnFirstUse(baseUrl);
    out.printf(Locale.ROOT,
        "trust: fetched %s/ca/bundle.pem without verification and trusted it on first use"
            + " (%d certificates); pass %s to pin it%n",
        baseUrl, trust.certificates().size(), option);
    printAnchors(trust.certificates(), out);
    return trust;
  }

  private static void printAnchors(List<X509Certificate> certs, PrintStream out) {
    for (X509Certificate c : certs) {
      out.printf(Locale.ROOT, "  SHA-256 %s  %s%n", TrustAnchors.fingerprint(c),
          c.getSubjectX500Principal().getName());
    }
  }

  private CsrPool csrs(Provider provider, int cores) throws InterruptedException {
    Duration run = options.warmup().plus(options.duration());
    int size = options.csrs().orElse(
        CsrPool.plannedSize(options.concurrency(), run, Runtime.getRuntime().maxMemory()));
    out.printf(Locale.ROOT, "csrs: generating %d P-256 keys and CSRs on %d threads%s%n", size,
        cores, options.csrs().isPresent() ? "" : String.format(Locale.ROOT,
            " (enough for %d/s over %s)", CsrPool.ASSUMED_MAX_RATE, DurationArg.format(run)));
    long start = System.nanoTime();
    CsrPool pool = CsrPool.generate(size, cores, provider, options.trustDomain(),
        options.profile(), options.ttlSeconds());
    double took = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "csrs: %d generated in %.1f s (%.0f/s), %d MB of request bodies%n",
        pool.size(), took, pool.size() / took, pool.bytes() >> 20);
    return pool;
  }

  private LoadTransport transport(TrustAnchors trust) throws Exception {
    URI target = URI.create(options.baseUrl() + "/api/v1/certificates");
    return switch (options.client()) {
      case JETTY -> new JettyTransport(target, options.token(),
          trust == null ? null : trust.jettyTls(), options.concurrency(), options.timeout());
      case JDK -> new JdkTransport(target, options.token(),
          trust == null ? null : trust.sslContext(), options.timeout());
    };
  }

  /** Runs the serial check; prints and returns null when it could not be done. */
  private SerialCheck.Verdict check(TrustAnchors trust, List<String> serials) throws Exception {
    SslContextFactory.Client tls = trust == null ? null : trust.jettyTls();
    HttpClient client = Http.newClient(tls, "rotor-load-check");
    Http.start(client);
    try {
      SerialCheck check = new SerialCheck(client, options.baseUrl(), options.token());
      SerialCheck.Verdict v = switch (options.check()) {
        case LIST -> check.byListing(serials);
        case LOOKUP -> check.byLookup(serials);
      };
      out.printf(Locale.ROOT, "check: %s, %d requests in %.1f s; server has %d serials%n",
          v.method(), v.requests(), v.seconds(), v.recorded());
      out.printf(Locale.ROOT, "missing       %d of %d received serials%s%n", v.missing(),
          serials.size(), v.unverified() == 0 ? ""
              : String.format(Locale.ROOT, " (and %d could not be checked)", v.unverified()));
      if (v.firstProblem() != null) {
        out.println("  first problem: " + v.firstProblem());
      }
      return v;
    } catch (Exception e) {
      out.println("check: failed: " + e.getMessage());
      return null;
    } finally {
      client.stop();
    }
  }
}
