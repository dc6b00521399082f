package dev.rotor.agent.renew;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.rotor.agent.api.AgentApiClient;
import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.attest.Attestation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The agent's rotation loop against a loopback server that sheds load: after a 429 or 503 with
 * Retry-After it waits at least that long (plus at most the jitter) before the next attempt.
 */
class RetryAfterIT {

  @Test
  void the_agent_waits_at_least_the_servers_retry_after_then_a_little_jitter() throws Exception {
    List<Long> attempts = new CopyOnWriteArrayList<>();
    // attempt 1: 429 come back in 2 s; attempt 2: 503 in 1 s; then 400 (stops being interesting)
    String[][] answers = {{"429", "2"}, {"503", "1"}, {"400", null}};
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/agent/v1/attest", ex -> {
      ex.getRequestBody().readAllBytes();
      int n = attempts.size();
      attempts.add(System.nanoTime());
      String[] a = answers[Math.min(n, answers.length - 1)];
      if (a[1] != null) {
        ex.getResponseHeaders().add("Retry-After", a[1]);
      }
      byte[] body = ("{\"type\":\"urn:rotor:problem:overloaded\",\"status\":" + a[0] + "}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/problem+json");
      ex.sendResponseHeaders(Integer.parseInt(a[0]), body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    http.start();
    CredentialStore nothingStored = new CredentialStore() {
      @Override
      public Optional<Credentials> load() {
        return Optional.empty();
      }

      @Override
      public void save(Credentials credentials) {}
    };
    URI url = URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    AgentApiClient api = new AgentApiClient(url, List.of(), Duration.ofSeconds(5), Clock.systemUTC());
    try (AgentRotator rotator = new AgentRotator(api, new Attestation.JoinToken("rotor_join_test"), nothingStored,
        RenewalPolicy.HALF_LIFE, Backoff.DEFAULT, Clock.systemUTC(), new Random(7), outcome -> {}, Optional.empty())) {
      rotator.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> attempts.size() >= 3);
    } finally {
      http.stop(0);
    }
    long first = (attempts.get(1) - attempts.get(0)) / 1_000_000;
    long second = (attempts.get(2) - attempts.get(1)) / 1_000_000;
    // Retry-After 2 → 2 s to 2 s + 1 s of jitter (+ scheduling slack); Retry-After 1 → 1 s to 2 s.
    assertThat(first).isBetween(2_000L, 3_500L);
    assertThat(second).isBetween(1_000L, 2_500L);
  }
}
