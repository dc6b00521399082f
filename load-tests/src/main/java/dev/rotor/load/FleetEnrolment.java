package dev.rotor.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;

/**
 * Brings the fleet up before the clock starts, as operators and agents would: a join token per
 * node through the REST API ({@code POST /api/v1/join-tokens}, operator token), then each agent
 * attests with its own fresh P-256 key and CSR ({@code POST /agent/v1/attest}, method
 * {@code join}). Then, right before the load (the server closes connections idle for 30 s), every
 * agent opens its mTLS connection by fetching the bundle over it ({@code GET /agent/v1/bundle}).
 * A bounded number of agents at a time (ten thousand handshakes at once would only time out); any
 * failure stops the run.
 */
final class FleetEnrolment {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Join tokens live long enough for the slowest enrolment; they are used at once. */
  private static final int JOIN_TOKEN_TTL_SECONDS = 3600;

  private FleetEnrolment() {}

  /** Enrols agents {@code 0..plan.agents()-1}; returns their first credentials in order. */
  static List<AgentCredential> enrol(FleetPlan plan, String baseUrl, String operatorToken,
      TrustAnchors anchors, TrustManager[] trust, FleetClient fleet, Provider provider,
      int concurrency, Duration timeout, PrintStream out) throws Exception {
    HttpClient client = Http.newClient(anchors.jettyTls(), "rotor-load-enrol");
    client.setMaxConnectionsPerDestination(concurrency);
    client.setMaxRequestsQueuedPerDestination(Math.max(1024, 2 * concurrency));
    Http.start(client);
    AgentCredential[] credentials = new AgentCredential[plan.agents()];
    Semaphore permits = new Semaphore(concurrency);
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> tasks = new ArrayList<>();
    long start = System.nanoTime();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < plan.agents(); i++) {
        int agent = i;
        tasks.add(threads.submit(() -> {
          permits.acquire();
          try {
            credentials[agent] = enrolOne(plan, agent, client, baseUrl, operatorToken, trust,
                fleet, provider, timeout);
            int n = done.incrementAndGet();
            if (n % 2000 == 0 && n < plan.agents()) {
              out.printf(Locale.ROOT, "  %d agents attested%n", n);
            }
            return null;
          } finally {
            permits.release();
          }
        }));
      }
      for (Future<?> task : tasks) {
        try {
          task.get();
        } catch (ExecutionException e) {
          tasks.forEach(t -> t.cancel(true));
          throw new IOException(e.getCause().getMessage(), e.getCause());
        }
      }
    } finally {
      client.stop();
    }
    double took = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "agents: %d join tokens created and %d agents attested in %.1f s"
        + " (%.0f/s, %d at a time)%n", plan.agents(), plan.agents(), took, plan.agents() / took,
        concurrency);
    return List.of(credentials);
  }

  private static AgentCredential enrolOne(FleetPlan plan, int agent, HttpClient client,
      String baseUrl, String operatorToken, TrustManager[] trust, FleetClient fleet,
      Provider provider, Duration timeout) throws Exception {
    String node = FleetPlan.node(agent);
    Map<String, Object> tokenRequest = new LinkedHashMap<>();
    tokenRequest.put("node", node);
    tokenRequest.put("ttlSeconds", JOIN_TOKEN_TTL_SECONDS);
    ContentResponse tokenResponse = post(client, baseUrl + "/api/v1/join-tokens",
        "Bearer " + operatorToken, tokenRequest, timeout);
    if (tokenResponse.getStatus() != 201) {
      throw new IOException("POST /api/v1/join-tokens for " + node + " answered "
          + tokenResponse.getStatus() + ": " + Http.abbreviate(tokenResponse.getContentAsString()));
    }
    JsonNode token = JSON.readTree(tokenResponse.getContent()).get("token");
    if (token == null || !token.isTextual()) {
      throw new IOException("POST /api/v1/join-tokens answered without a token: "
          + Http.abbreviate(tokenResponse.getContentAsString()));
    }

    KeyPairGenerator kpg = CsrPool.keyPairGenerator(provider);
    KeyPair keys = kpg.generateKeyPair();
    Map<String, Object> attest = new LinkedHashMap<>();
    attest.put("method", "join");
    attest.put("token", token.asText());
    attest.put("csr", CsrPool.pem(CsrPool.create(keys, plan.agentId(agent), provider)));
    ContentResponse attested = post(client, baseUrl + "/agent/v1/attest", null, attest, timeout);
    if (attested.getStatus() != 201) {
      throw new IOException("POST /agent/v1/attest for " + node + " answered "
          + attested.getStatus() + ": " + Http.abbreviate(attested.getContentAsString()));
    }
    CertificateResponse response = CertificateResponse.parse(attested.getContent());
    if (!response.spiffeId().equals(plan.agentId(agent))) {
      throw new IOException("attestation of " + node + " gave " + response.spiffeId()
          + ", expected " + plan.agentId(agent));
    }
    return AgentCredential.of(agent, 0, keys.getPrivate(), response.chain(), trust,
        fleet.fullHandshakeEngines());
  }

  private static ContentResponse post(HttpClient client, String url, String authorization,
      Map<String, Object> body, Duration timeout) throws Exception {
    return client.newRequest(url)
        .method(HttpMethod.POST)
        .headers(h -> {
          if (authorization != null) {
            h.put(HttpHeader.AUTHORIZATION, authorization);
          }
        })
        .body(new StringRequestContent("application/json", JSON.writeValueAsString(body)))
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .send();
  }

  /**
   * Opens every agent's connection (full mTLS handshake) with a GET of the bundle over it,
   * {@code concurrency} at a time; fails on the first agent that cannot. When that took so long
   * that the first connections are near their idle timeout, a second, cheap round (a request on
   * each open connection, a resumed handshake for each closed one) refreshes them all, so the
   * load does not start with a burst of reconnections.
   */
  static void connect(List<FleetAgent> agents, FleetClient fleet, String baseUrl,
      int concurrency, Duration timeout, Duration idleTimeout, PrintStream out) throws Exception {
    long start = System.nanoTime();
    long full = fleet.fullHandshakes();
    long resumed = fleet.resumedHandshakes();
    connectOnce(agents, fleet, baseUrl, concurrency, timeout);
    double took = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "agents: %d connections opened in %.1f s (%.0f/s, %d at a time): %d"
        + " full and %d resumed handshakes, %d open now%n", agents.size(), took,
        agents.size() / took, concurrency, fleet.fullHandshakes() - full,
        fleet.resumedHandshakes() - resumed, fleet.openConnections());
    if (took > idleTimeout.toNanos() / 2e9) {
      start = System.nanoTime();
      full = fleet.fullHandshakes();
      resumed = fleet.resumedHandshakes();
      connectOnce(agents, fleet, baseUrl, concurrency, timeout);
      took = (System.nanoTime() - start) / 1e9;
      out.printf(Locale.ROOT, "agents: connections refreshed in %.1f s (longer than half the"
          + " %s idle timeout before): %d full and %d resumed handshakes, %d open now%n", took,
          DurationArg.format(idleTimeout), fleet.fullHandshakes() - full,
          fleet.resumedHandshakes() - resumed, fleet.openConnections());
    }
  }

  /**
   * Uses every agent's connection every {@code every} until {@code until} (a GET of the bundle,
   * reconnecting, with a resumed session, any that closed), so that none idles out; returns how
   * many connections are open at the end.
   */
  static int keepOpenUntil(List<FleetAgent> agents, FleetClient fleet, String baseUrl, Instant until,
      Duration every, int concurrency, Duration timeout) throws Exception {
    while (true) {
      long sleep = Math.min(every.toMillis(), Duration.between(Instant.now(), until).toMillis());
      if (sleep <= 0) {
        return (int) fleet.openConnections();
      }
      Thread.sleep(sleep);
      if (Instant.now().isBefore(until)) {
        connectOnce(agents, fleet, baseUrl, concurrency, timeout);
      }
    }
  }

  private static void connectOnce(List<FleetAgent> agents, FleetClient fleet, String baseUrl,
      int concurrency, Duration timeout) throws Exception {
    URI bundle = URI.create(baseUrl + "/agent/v1/bundle");
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<Integer>> opening = new ArrayList<>();
    for (FleetAgent agent : agents) {
      permits.acquire();
      CompletableFuture<Integer> f = fleet.connect(agent.credential(), bundle, timeout);
      f.whenComplete((status, failure) -> permits.release());
      opening.add(f);
    }
    for (int i = 0; i < opening.size(); i++) {
      int status;
      try {
        status = opening.get(i).get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw new IOException("agent " + i + " could not connect: " + RotorLoad.describe(e), e);
      }
      if (status != 200) {
        throw new IOException("agent " + i + ": GET /agent/v1/bundle over its connection"
            + " answered " + status);
      }
    }
  }
}
