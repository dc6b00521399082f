package dev.rotor.agent.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the server's revocation feed ({@code GET /agent/v1/revocations}, long poll over the
 * agent's mTLS connection) into a {@link RevocationSet}. On errors the last set is kept (nothing
 * is ever un-revoked by an outage) and the follower retries with capped, jittered backoff.
 *
 * <p>The feed also names the intermediates the server declared compromised ({@code
 * taintedIssuers}, key identifiers); each answer's list goes to the {@code tainted} listener.
 */
public final class RevocationFollower implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RevocationFollower.class);
  static final int WAIT_SECONDS = 25;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final URI server;
  private final Supplier<HttpClient> client;
  private final RevocationSet set;
  private volatile java.util.function.Consumer<Set<String>> tainted = ids -> {};
  private final ObjectMapper json = new ObjectMapper();
  private volatile boolean closed;
  private Thread thread;

  /**
   * @param server the server's base https URL
   * @param client the agent's current mTLS client (it changes when the agent certificate is renewed)
   */
  public RevocationFollower(URI server, Supplier<HttpClient> client, RevocationSet set) {
    this.server = server;
    this.client = client;
    this.set = set;
  }

  /** Hears the feed's tainted issuers (key identifiers, lower-case hex) with every answer. */
  public RevocationFollower onTaintedIssuers(java.util.function.Consumer<Set<String>> listener) {
    this.tainted = listener;
    return this;
  }

  public RevocationFollower start() {
    thread = Thread.ofVirtual().name("rotor-revocation-follower").start(this::run);
    return this;
  }

  private void run() {
    Duration backoff = Duration.ofSeconds(1);
    while (!closed) {
      try {
        HttpClient http = client.get();
        if (http == null) {
          Thread.sleep(500);
          continue;
        }
        String since = set.version();
        URI uri = server.resolve("/agent/v1/revocations?wait=" + WAIT_SECONDS
            + (since.isEmpty() ? "" : "&since=" + URLEncoder.encode(since, StandardCharsets.US_ASCII)));
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(WAIT_SECONDS + 10)).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          throw new IllegalStateException("revocation feed answered " + r.statusCode());
        }
        JsonNode body = json.readTree(r.body());
        String version = body.path("version").asText("");
        if (!version.equals(since)) {
          Set<String> serials = new HashSet<>();
          for (JsonNode e : body.path("revoked")) {
            serials.add(e.path("serial").asText());
          }
          set.replace(version, serials);
          log.info("revocation set updated version={} revoked={}", version, serials.size());
          Set<String> taintedIds = new HashSet<>();
          for (JsonNode e : body.path("taintedIssuers")) {
            taintedIds.add(e.asText());
          }
          tainted.accept(taintedIds);
        }
        backoff = Duration.ofSeconds(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        long jitter = ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1);
        log.warn("revocation feed failed, keeping the last set retryMs={} error={}", backoff.toMillis() + jitter, e.toString());
        try {
          Thread.sleep(backoff.toMillis() + jitter);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
