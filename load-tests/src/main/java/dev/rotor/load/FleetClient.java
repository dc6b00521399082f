package dev.rotor.load;

import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One Jetty HttpClient (one selector, virtual threads) for the whole fleet, ten thousand client
 * certificates included.
 *
 * <p>Jetty keeps a connection pool per destination, and a destination is scheme, host, port and
 * the request's tag. Every request carries its agent's current {@link AgentCredential} as the tag,
 * so each credential is a destination of its own with at most one connection, and this client's
 * destinations take their TLS settings from the tag instead of from the client: the connection
 * presents that agent's certificate. A renewed certificate is a new tag, hence a new connection.
 * All connections go to the real server address, so the server's host name is verified as usual.
 */
final class FleetClient implements AutoCloseable {

  private final HttpClient client;
  private final Set<SSLEngine> fullHandshakeEngines = ConcurrentHashMap.newKeySet();
  private final LongAdder fullHandshakes = new LongAdder();
  private final LongAdder resumedHandshakes = new LongAdder();
  private final LongAdder failedHandshakes = new LongAdder();
  private final LongAdder opened = new LongAdder();
  private final LongAdder closed = new LongAdder();

  FleetClient(Duration idleTimeout) throws Exception {
    client = Http.newClient(new PerCredentialTransport(new ClientConnector()), "rotor-load-fleet");
    // HTTP/1.1, one connection per agent: what a node agent holds.
    client.setMaxConnectionsPerDestination(1);
    client.setMaxRequestsQueuedPerDestination(64);
    // Below the server's idle timeout, so the client closes an idle connection before the server
    // does and no request is ever written into a connection the server is closing (a POST lost
    // that way is not retried). The next request reconnects, resuming the TLS session.
    client.setIdleTimeout(idleTimeout.toMillis());
    // Destinations of renewed credentials go once their connection has closed.
    client.setDestinationIdleTimeout(10_000);
    client.setConnectBlocking(false);
    client.addBean(new Counters());
    Http.start(client);
  }

  /** The engines the key managers were asked on; see {@link AgentCredential#of}. */
  Set<SSLEngine> fullHandshakeEngines() {
    return fullHandshakeEngines;
  }

  /** A request over {@code credential}'s connection. */
  Request request(AgentCredential credential, URI uri) {
    return client.newRequest(uri).tag(credential);
  }

  /**
   * Opens {@code credential}'s connection now, TLS handshake included, by GETting {@code uri}
   * over it (the agent's bundle refresh). Jetty's pre-created connections would not do: the
   * client handshakes with the first request, not on connect. Completes with the status.
   */
  CompletableFuture<Integer> connect(AgentCredential credential, URI uri, Duration timeout) {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    request(credential, uri).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .send(new BufferingResponseListener(1 << 20) {
          @Override
          public void onComplete(Result result) {
            if (result.isFailed()) {
              done.completeExceptionally(result.getFailure());
            } else {
              done.complete(result.getResponse().getStatus());
            }
          }
        });
    return done;
  }

  Executor executor() {
    return client.getExecutor();
  }

  /** Handshakes in which the client presented its certificate (full handshakes). */
  long fullHandshakes() {
    return fullHandshakes.sum();
  }

  /** Handshakes that resumed an earlier session of the same credential. */
  long resumedHandshakes() {
    return resumedHandshakes.sum();
  }

  long failedHandshakes() {
    return failedHandshakes.sum();
  }

  /** TLS connections open now. */
  long openConnections() {
    return opened.sum() - closed.sum();
  }

  long connectionsOpened() {
    return opened.sum();
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }

  /** HTTP/1.1 whose destinations take their TLS settings from the request's credential tag. */
  private static final class PerCredentialTransport extends HttpClientTransportOverHTTP {
    PerCredentialTransport(ClientConnector connector) {
      super(connector);
      // Jetty's per-connection response-header cache is ~100 KB of heap each: 1 GB at 10,000
      // agents, and the generator's own GC pauses then showed up as the server's latency.
      setHeaderCacheSize(0);
    }

    @Override
    public Destination newDestination(Origin origin) {
      return new HttpDestination(getHttpClient(), origin) {
        @Override
        public SslContextFactory.Client resolveSslContextFactory() {
          if (origin.getTag() instanceof AgentCredential credential) {
            return credential.tls();
          }
          throw new IllegalStateException("fleet request without an agent credential: " + origin);
        }
      };
    }
  }

  /** Counts connections and handshakes; Jetty adds client beans of these types to connections. */
  private final class Counters implements SslHandshakeListener, Connection.Listener {
    @Override
    public void handshakeSucceeded(Event event) {
      if (fullHandshakeEngines.remove(event.getSSLEngine())) {
        fullHandshakes.increment();
      } else {
        resumedHandshakes.increment();
      }
    }

    @Override
    public void handshakeFailed(Event event, Throwable failure) {
      fullHandshakeEngines.remove(event.getSSLEngine());
      failedHandshakes.increment();
    }

    @Override
    public void onOpened(Connection connection) {
      if (connection instanceof SslConnection) {
        opened.increment();
      }
    }

    @Override
    public void onClosed(Connection connection) {
      if (connection instanceof SslConnection) {
        closed.increment();
      }
    }
  }
}
