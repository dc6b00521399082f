package dev.rotor.load;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's asynchronous HttpClient, the default: one selector, callbacks on virtual threads (see
 * {@link Http#newClient}), no thread waiting per outstanding request. The connection pool is capped
 * at the concurrency, and requests never queue because the closed loop never has more outstanding.
 */
final class JettyTransport implements LoadTransport {

  /** Error bodies are kept for printing; nothing legitimate here is larger. */
  private static final int MAX_RESPONSE_BYTES = 1 << 20;

  private final HttpClient client;
  private final URI target;
  private final String authorization;
  private final long timeoutMillis;

  JettyTransport(URI target, String token, SslContextFactory.Client tls, int concurrency,
      Duration timeout) throws Exception {
    this.target = target;
    this.authorization = "Bearer " + token;
    this.timeoutMillis = timeout.toMillis();
    this.client = Http.newClient(tls, "rotor-load-http");
    client.setMaxConnectionsPerDestination(concurrency);
    client.setMaxRequestsQueuedPerDestination(Math.max(1024, concurrency * 2));
    client.setIdleTimeout(Math.max(timeoutMillis, 60_000));
    Http.start(client);
  }

  @Override
  public void post(byte[] body, Outcome outcome) {
    client.newRequest(target)
        .method(HttpMethod.POST)
        .headers(h -> h.put(HttpHeader.AUTHORIZATION, authorization))
        .body(new BytesRequestContent("application/json", body))
        .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .send(new BufferingResponseListener(MAX_RESPONSE_BYTES) {
          @Override
          public void onComplete(Result result) {
            int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
            if (result.isFailed()) {
              outcome.completed(status, new byte[0], result.getFailure());
            } else {
              outcome.completed(status, getContent(), null);
            }
          }
        });
  }

  @Override
  public void execute(Runnable task) {
    client.getExecutor().execute(task);
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
