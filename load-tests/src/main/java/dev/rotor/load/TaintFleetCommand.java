package dev.rotor.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CryptoProviders;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpMethod;

/**
 * {@code rotor-load taint-fleet}: how long after {@code POST /api/v1/ca/taint} the last identity
 * of a fleet holds a certificate from the new CA (issue 9).
 *
 * <p>Enrols the agents, gives every workload identity a certificate, and has every agent follow
 * the revocation feed ({@code GET /agent/v1/revocations}, long poll, on a second connection as the
 * real agent's feed follower does). Then it taints the active intermediate. An agent that sees
 * {@code taintedIssuers} waits 1 to 3 s of jitter (as the agent does) and re-issues all its
 * identities one after another over its connection; a certificate still from a tainted CA (a
 * replica that had not reloaded yet) is asked for again. The figure is the time from the taint
 * request to the last identity re-issued. Agents' own certificates are not renewed here.
 */
final class TaintFleetCommand {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int FEED_WAIT_SECONDS = 25;

  private final FleetOptions options;
  private final PrintStream out;

  TaintFleetCommand(FleetOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  int run() throws Exception {
    Provider provider = CryptoProviders.signing();
    int cores = Runtime.getRuntime().availableProcessors();
    FleetPlan plan = options.plan();
    out.printf(Locale.ROOT, "rotor-load taint-fleet %s: %d identities on %d agents, ttl %d s%n", options.baseUrl(),
        plan.identities(), plan.agents(), plan.ttl().toSeconds());
    TrustAnchors anchors = IssueCommand.trust(options.caBundle(), options.baseUrl(), "--ca-bundle", out);
    TrustManager[] trust = anchors.sslContextTrustManagers();
    int poolSize = (int) Math.min(plan.identities(), 20_000);
    CsrPool bodies = CsrPool.generate(poolSize, cores, provider,
        n -> "spiffe://" + plan.trustDomain() + "/ns/fleet/sa/pool-" + n, pem -> SignBodies.prefix(pem, plan.ttl().toSeconds()));
    out.printf(Locale.ROOT, "csrs: %d P-256 CSRs ready%n", bodies.size());

    try (FleetClient sign = new FleetClient(options.idleTimeout()); FleetClient feed = new FleetClient(Duration.ofSeconds(FEED_WAIT_SECONDS + 20))) {
      List<AgentCredential> agents = FleetEnrolment.enrol(plan, options.baseUrl(), options.token(), anchors, trust, sign,
          provider, options.enrolConcurrency(), options.timeout(), out);
      URI signUri = URI.create(options.baseUrl() + "/agent/v1/workloads/sign");
      AtomicLong errors = new AtomicLong();
      List<String> samples = new java.util.concurrent.CopyOnWriteArrayList<>();

      // every identity gets its first certificate
      long t = System.nanoTime();
      String firstIssuer = everyAgent(plan, agents, a -> {
        String issuer = null;
        for (int w = 0; w < plan.workloadsPerAgent(); w++) {
          issuer = issue(sign, agents.get(a), signUri, bodies, plan.workloadId(a, w), Set.of(), errors, samples);
        }
        return issuer;
      });
      out.printf(Locale.ROOT, "fleet: %d identities issued in %.1f s (issuing CA key id %s)%n", plan.identities(),
          (System.nanoTime() - t) / 1e9, firstIssuer);

      // every agent follows the feed; the first answers tell the version to wait on
      AtomicInteger following = new AtomicInteger();
      CountDownLatch allFollowing = new CountDownLatch(plan.agents());
      long[] notifiedAt = new long[plan.agents()];
      long[] doneAt = new long[plan.agents()];
      AtomicLong taintedAt = new AtomicLong();
      CountDownLatch allDone = new CountDownLatch(plan.agents());
      ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
      for (int i = 0; i < plan.agents(); i++) {
        int a = i;
        threads.submit(() -> {
          String since = null;
          boolean counted = false;
          while (!Thread.currentThread().isInterrupted()) {
            try {
              String q = "/agent/v1/revocations?wait=" + (since == null ? 0 : FEED_WAIT_SECONDS)
                  + (since == null ? "" : "&since=" + URLEncoder.encode(since, StandardCharsets.US_ASCII));
              ContentResponse r = feed.request(agents.get(a), URI.create(options.baseUrl() + q))
                  .timeout(FEED_WAIT_SECONDS + 15, TimeUnit.SECONDS).send();
              JsonNode body = JSON.readTree(r.getContent());
              since = body.path("version").asText();
              if (!counted) {
                counted = true;
                following.incrementAndGet();
                allFollowing.countDown();
              }
              Set<String> tainted = new java.util.HashSet<>();
              body.path("taintedIssuers").forEach(n -> tainted.add(n.asText()));
              if (!tainted.isEmpty() && taintedAt.get() != 0) {
                notifiedAt[a] = System.nanoTime();
                Thread.sleep(1000 + ThreadLocalRandom.current().nextInt(2000));
                for (int w = 0; w < plan.workloadsPerAgent(); w++) {
                  issue(sign, agents.get(a), signUri, bodies, plan.workloadId(a, w), tainted, errors, samples);
                }
                doneAt[a] = System.nanoTime();
                allDone.countDown();
                return null;
              }
            } catch (InterruptedException e) {
              return null;
            } catch (Exception e) {
              errors.incrementAndGet();
              if (samples.size() < 5) {
                samples.add("feed: " + e);
              }
              Thread.sleep(500);
            }
          }
          return null;
        });
      }
      if (!allFollowing.await(120, TimeUnit.SECONDS)) {
        out.printf(Locale.ROOT, "only %d of %d agents follow the feed%n", following.get(), plan.agents());
        threads.shutdownNow();
        return 1;
      }
      Thread.sleep(1000); // every follower is now waiting in its long poll
      taintedAt.set(System.nanoTime());
      long t0 = taintedAt.get();
      ContentResponse taint = sign.request(agents.getFirst(), URI.create(options.baseUrl() + "/api/v1/ca/taint"))
          .headers(h -> h.put("Authorization", "Bearer " + options.token()))
          .method(HttpMethod.POST).body(new BytesRequestContent("application/json", "{}".getBytes(StandardCharsets.US_ASCII)))
          .timeout(30, TimeUnit.SECONDS).send();
      long answered = System.nanoTime();
      if (taint.getStatus() != 200) {
        out.printf(Locale.ROOT, "POST /api/v1/ca/taint answered %d: %s%n", taint.getStatus(), Http.abbreviate(taint.getContentAsString()));
        threads.shutdownNow();
        return 1;
      }
      out.printf(Locale.ROOT, "taint: answered in %.0f ms: %s%n", (answered - t0) / 1e6, Http.abbreviate(taint.getContentAsString()));
      boolean finished = allDone.await(plan.ttl().toSeconds() + 60, TimeUnit.SECONDS);
      threads.shutdownNow();
      long[] notified = Arrays.stream(notifiedAt).filter(x -> x != 0).map(x -> (x - t0) / 1_000_000).sorted().toArray();
      long[] done = Arrays.stream(doneAt).filter(x -> x != 0).map(x -> (x - t0) / 1_000_000).sorted().toArray();
      long last = done.length == 0 ? -1 : done[done.length - 1];
      out.printf(Locale.ROOT, "feed: %d of %d agents told; first %d ms, last %d ms after the taint%n", notified.length, plan.agents(),
          notified.length == 0 ? -1 : notified[0], notified.length == 0 ? -1 : notified[notified.length - 1]);
      out.printf(Locale.ROOT, "re-issued: %d of %d agents done; median agent %d ms, last %d ms after the taint (ttl %d s)%n",
          done.length, plan.agents(), done.length == 0 ? -1 : done[done.length / 2], last, plan.ttl().toSeconds());
      samples.forEach(s -> out.println("  " + s));
      boolean ok = finished && errors.get() == 0 && last >= 0 && last < plan.ttl().toMillis();
      out.printf(Locale.ROOT, "RESULT taint-fleet identities=%d agents=%d ttl_s=%d taint_to_last_ms=%d notified_last_ms=%d"
              + " errors=%d verdict=%s%n", plan.identities(), plan.agents(), plan.ttl().toSeconds(), last,
          notified.length == 0 ? -1 : notified[notified.length - 1], errors.get(), ok ? "PASS" : "FAIL");
      return ok ? 0 : 1;
    }
  }

  private interface AgentWork {
    String run(int agent) throws Exception;
  }

  private static String everyAgent(FleetPlan plan, List<AgentCredential> agents, AgentWork work) throws Exception {
    List<java.util.concurrent.Future<String>> tasks = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < agents.size(); i++) {
        int a = i;
        tasks.add(threads.submit(() -> work.run(a)));
      }
      String any = null;
      for (var task : tasks) {
        any = task.get();
      }
      return any;
    }
  }

  /**
   * Issues one certificate for {@code spiffeId} over the agent's connection, again while it comes
   * from one of {@code tainted} (key identifiers); returns the issuer's key identifier.
   */
  private static String issue(FleetClient client, AgentCredential agent, URI uri, CsrPool bodies, String spiffeId,
      Set<String> tainted, AtomicLong errors, List<String> samples) throws InterruptedException {
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        ContentResponse r = client.request(agent, uri).method(HttpMethod.POST)
            .body(new BytesRequestContent("application/json", SignBodies.body(bodies.next(), spiffeId)))
            .timeout(30, TimeUnit.SECONDS).send();
        if (r.getStatus() != 201) {
          throw new IOException("sign answered " + r.getStatus() + ": " + Http.abbreviate(r.getContentAsString()));
        }
        X509Certificate leaf = CertificateResponse.parse(r.getContent()).chain().get(0);
        String issuer = authorityKeyId(leaf);
        if (!tainted.contains(issuer)) {
          return issuer;
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | IOException e) {
        errors.incrementAndGet();
        if (samples.size() < 5) {
          samples.add(spiffeId + ": " + e);
        }
      }
      Thread.sleep(200);
    }
    return null;
  }

  static String authorityKeyId(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue("2.5.29.35");
    if (ext == null) {
      return "";
    }
    byte[] id = org.bouncycastle.asn1.x509.AuthorityKeyIdentifier.getInstance(
        org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    return id == null ? "" : HexFormat.of().formatHex(id);
  }
}
