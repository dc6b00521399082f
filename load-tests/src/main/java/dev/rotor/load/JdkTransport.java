package dev.rotor.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * The JDK's HttpClient forced to HTTP/1.1, completions on virtual threads. It opens one connection
 * per outstanding request and returns it to its keep-alive pool afterwards, so the closed loop
 * keeps at most {@code concurrency} connections. Kept as the comparison for {@link JettyTransport}.
 */
final class JdkTransport implements LoadTransport {

  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient client;
  private final URI target;
  private final String authorization;
  private final Duration timeout;

  JdkTransport(URI target, String token, SSLContext tls, Duration timeout) {
    this.target = target;
    this.authorization = "Bearer " + token;
    this.timeout = timeout;
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(timeout)
        .executor(executor);
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.client = builder.build();
  }

  @Override
  public void post(byte[] body, Outcome outcome) {
    HttpRequest request = HttpRequest.newBuilder(target)
        .timeout(timeout)
        .header("Authorization", authorization)
        .header("Content-Type", "application/json")
        .header("User-Agent", Http.USER_AGENT)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .whenComplete((response, failure) -> {
          if (failure != null) {
            outcome.completed(0, new byte[0], failure);
          } else {
            outcome.completed(response.statusCode(), response.body(), null);
          }
        });
  }

  @Override
  public void execute(Runnable task) {
    executor.execute(task);
  }

  @Override
  public void close() {
    client.close();
    executor.close();
  }
}
