package dev.rotor.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;

/**
 * What the simulated agents do once enrolled: renew workload certificates when told to
 * ({@link #sign}), and renew their own certificate at half its lifetime with ±10% jitter, as the
 * Rotor agent does, reconnecting with the new certificate.
 *
 * <p>A benchmark of one minute would otherwise see no agent renewal at all (agents are attested
 * together just before it), so each agent's first renewal is put at a uniformly random point
 * before its renewal time: the fleet behaves as if it had been running for a while, renewing
 * agents / (0.5 × agent lifetime) certificates per second.
 */
final class FleetDriver implements AutoCloseable {

  /** Error bodies are kept for printing; nothing legitimate here is larger. */
  private static final int MAX_RESPONSE_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The agent's ±10% renewal jitter. */
  static final double JITTER = 0.10;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final FleetPlan plan;
  private final FleetClient client;
  private final List<FleetAgent> agents;
  private final URI signUri;
  private final URI renewUri;
  private final URI bundleUri;
  private final TrustManager[] trust;
  private final Provider provider;
  private final long timeoutMillis;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("fleet-agent-renewals").daemon(true).factory());
  private final AtomicLong inFlight = new AtomicLong();
  private volatile FleetRecorder recorder;
  private volatile boolean running = true;

  FleetDriver(FleetPlan plan, FleetClient client, List<FleetAgent> agents, String baseUrl,
      TrustManager[] trust, Provider provider, Duration timeout, FleetRecorder recorder) {
    this.plan = plan;
    this.client = client;
    this.agents = List.copyOf(agents);
    this.signUri = URI.create(baseUrl + "/agent/v1/workloads/sign");
    this.renewUri = URI.create(baseUrl + "/agent/v1/renew");
    this.bundleUri = URI.create(baseUrl + "/agent/v1/bundle");
    this.trust = trust;
    this.provider = provider;
    this.timeoutMillis = timeout.toMillis();
    this.recorder = recorder;
  }

  List<FleetAgent> agents() {
    return agents;
  }

  /** Where results go from now on (each --find-max step has its own). */
  void recordTo(FleetRecorder next) {
    recorder = next;
  }

  /** Workload renewals sent and not yet answered. */
  long inFlight() {
    return inFlight.get();
  }

  /** Schedules every agent's first renewal somewhere before its renewal time (see above). */
  void startAgentRenewals() {
    Instant now = Instant.now();
    for (FleetAgent agent : agents) {
      AgentCredential c = agent.credential();
      Duration untilRenewal = Duration.between(now, c.renewAt(jitter()));
      long delay = (long) (ThreadLocalRandom.current().nextDouble() * Math.max(0,
          untilRenewal.toNanos()));
      schedule(agent, delay, 0);
    }
  }

  /** Renews {@code spiffeId} for {@code agent}; the renewal was due at {@code scheduledNanos}. */
  void sign(FleetAgent agent, String spiffeId, byte[] body, long scheduledNanos) {
    inFlight.incrementAndGet();
    agent.submit(credential -> {
      FleetRecorder r = recorder;
      try {
        client.request(credential, signUri)
            .method(HttpMethod.POST)
            .body(new BytesRequestContent("application/json", body))
            .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
            .send(new BufferingResponseListener(MAX_RESPONSE_BYTES) {
              @Override
              public void onComplete(Result result) {
                int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
                r.sign(scheduledNanos, System.nanoTime(), status,
                    result.isFailed() ? new byte[0] : getContent(), result.getFailure(), spiffeId);
                inFlight.decrementAndGet();
                agent.done();
              }
            });
      } catch (RuntimeException e) {
        r.sign(scheduledNanos, System.nanoTime(), 0, new byte[0], e, spiffeId);
        inFlight.decrementAndGet();
        agent.done();
      }
    });
  }

  private void schedule(FleetAgent agent, long delayNanos, int attempt) {
    if (!running) {
      return;
    }
    try {
      timers.schedule(() -> renewAgent(agent, attempt), delayNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closing: no more renewals.
    }
  }

  /**
   * {@code POST /agent/v1/renew} over the agent's current connection, with a fresh key. The
   * request says {@code Connection: close}: the next request goes out on a new connection that
   * presents the new certificate (a full handshake; see {@link AgentCredential}).
   */
  private void renewAgent(FleetAgent agent, int attempt) {
    if (!running) {
      return;
    }
    agent.submit(credential -> {
      FleetRecorder r = recorder;
      KeyPair keys;
      byte[] body;
      try {
        KeyPairGenerator kpg = CsrPool.keyPairGenerator(provider);
        keys = kpg.generateKeyPair();
        String csr = CsrPool.pem(CsrPool.create(keys, plan.agentId(agent.index), provider));
        body = JSON.writeValueAsBytes(Map.of("csr", csr));
      } catch (Exception e) {
        r.failure("renew", 0, new byte[0], e);
        agent.done();
        return;
      }
      long start = System.nanoTime();
      try {
        client.request(credential, renewUri)
            .method(HttpMethod.POST)
            .headers(h -> h.put(HttpHeader.CONNECTION, "close"))
            .body(new BytesRequestContent("application/json", body))
            .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
            .send(new BufferingResponseListener(MAX_RESPONSE_BYTES) {
              @Override
              public void onComplete(Result result) {
                try {
                  renewed(agent, credential, keys, start, result,
                      result.isFailed() ? new byte[0] : getContent(), r, attempt);
                } finally {
                  agent.done();
                }
              }
            });
      } catch (RuntimeException e) {
        r.failure("renew", 0, new byte[0], e);
        retry(agent, attempt);
        agent.done();
      }
    });
  }

  private void renewed(FleetAgent agent, AgentCredential old, KeyPair keys, long start,
      Result result, byte[] content, FleetRecorder r, int attempt) {
    int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
    if (result.isFailed() || status != 201) {
      r.failure("renew", status, content, result.getFailure());
      retry(agent, attempt);
      return;
    }
    try {
      CertificateResponse response = CertificateResponse.parse(content);
      if (!response.spiffeId().equals(plan.agentId(agent.index))) {
        r.failure("renew 201 for another identity", 0,
            response.spiffeId().getBytes(StandardCharsets.UTF_8), null);
        retry(agent, attempt);
        return;
      }
      AgentCredential next = AgentCredential.of(agent.index, old.generation() + 1,
          keys.getPrivate(), response.chain(), trust, client.fullHandshakeEngines());
      agent.replace(next);
      r.agentRenewed(start, System.nanoTime());
      reconnect(agent);
      schedule(agent, Math.max(0, Duration.between(Instant.now(),
          next.renewAt(jitter())).toNanos()), 0);
    } catch (Exception e) {
      r.failure("renew", 0, new byte[0], e);
      retry(agent, attempt);
    }
  }

  /**
   * Opens the agent's connection with its new certificate right away (the renewal closed the old
   * one), before any waiting workload renewal, so the full handshake is not paid inside one.
   */
  private void reconnect(FleetAgent agent) {
    agent.submitNext(credential -> {
      FleetRecorder r = recorder;
      client.connect(credential, bundleUri, Duration.ofMillis(timeoutMillis))
          .whenComplete((status, failure) -> {
            if (failure != null || status != 200) {
              r.failure("reconnect", status == null ? 0 : status, new byte[0], failure);
            }
            agent.done();
          });
    });
  }

  /** Exponential backoff with jitter, capped at 30 s (the agent's retry policy). */
  private void retry(FleetAgent agent, int attempt) {
    long base = Math.min(MAX_BACKOFF.toNanos(), TimeUnit.SECONDS.toNanos(1) << Math.min(attempt, 20));
    long delay = (long) (base * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5));
    schedule(agent, delay, attempt + 1);
  }

  private static double jitter() {
    return (ThreadLocalRandom.current().nextDouble() * 2 - 1) * JITTER;
  }

  /** Stops agent renewals; requests already out still finish. */
  @Override
  public void close() {
    running = false;
    timers.shutdownNow();
  }
}
