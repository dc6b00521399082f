package dev.rotor.agent;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The agent's plain-HTTP endpoint: {@code /metrics} (Prometheus text) and {@code /healthz}
 * (503 naming the targets whose certificate has expired, so a liveness probe does not stay green
 * while the agent serves dead certificates).
 */
final class AgentEndpoint implements AutoCloseable {

  private final Server jetty;
  private final ServerConnector connector;

  AgentEndpoint(String bind, int port, PrometheusMeterRegistry registry, Supplier<List<String>> expired) throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(8, 2);
    threads.setName("rotor-agent-http");
    jetty = new Server(threads);
    connector = new ServerConnector(jetty, 1, 1);
    connector.setHost(bind);
    connector.setPort(port);
    jetty.addConnector(connector);
    jetty.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        switch (path) {
          case "/metrics" -> send(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
          case "/healthz" -> {
            List<String> dead = expired.get();
            if (dead.isEmpty()) {
              send(response, callback, 200, "text/plain; charset=utf-8", "ok\n");
            } else {
              send(response, callback, 503, "text/plain; charset=utf-8", "expired: " + String.join(", ", dead) + "\n");
            }
          }
          default -> send(response, callback, 404, "text/plain; charset=utf-8", "not found\n");
        }
        return true;
      }
    });
    jetty.start();
  }

  private static void send(Response response, Callback callback, int status, String type, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    Content.Sink.write(response, true, body, callback);
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }
}
