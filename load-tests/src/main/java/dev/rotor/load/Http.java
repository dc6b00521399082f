package dev.rotor.load;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * How every Jetty client in this tool is built: HTTP/1.1 only, no compression, no protocol
 * handlers, virtual threads.
 */
final class Http {

  static final String USER_AGENT = "rotor-load";

  private Http() {}

  /**
   * An HTTP/1.1 client, not started (see {@link #start}); {@code tls} may be null for plain HTTP.
   * Response compression is off: bodies are a few kB of PEM, and inflating them would be client
   * CPU spent on nothing.
   */
  static HttpClient newClient(SslContextFactory.Client tls, String threadName) {
    ClientConnector connector = new ClientConnector();
    if (tls != null) {
      connector.setSslContextFactory(tls);
    }
    return newClient(new HttpClientTransportOverHTTP(connector), threadName);
  }

  /** A client over {@code transport}, set up like {@link #newClient(SslContextFactory.Client, String)}. */
  static HttpClient newClient(HttpClientTransport transport, String threadName) {
    HttpClient client = new HttpClient(transport);
    // Virtual threads, not Jetty's default QueuedThreadPool: on 2 shared cores the pool's thread
    // hand-offs cost more than the requests. Measured against a stand-in server with canned
    // answers, concurrency 64, 20 s: QueuedThreadPool 170-250 µs of client CPU per request, JDK
    // HttpClient on virtual threads 120-160 µs, Jetty on virtual threads 60-85 µs (and the most
    // requests/s).
    VirtualThreadPool threads = new VirtualThreadPool();
    threads.setName(threadName);
    client.setExecutor(threads);
    client.setFollowRedirects(false);
    client.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, USER_AGENT));
    client.getContentDecoderFactories().clear();
    return client;
  }

  /**
   * Starts {@code client}, then removes the protocol handlers start() installs (redirect,
   * authentication, upgrade, 100-continue) so that every status is reported as it came: the
   * authentication handler would turn a 401 without WWW-Authenticate into a transport failure.
   */
  static HttpClient start(HttpClient client) throws Exception {
    client.start();
    client.getProtocolHandlers().clear();
    return client;
  }

  /** A response body cut short for printing on one line. */
  static String abbreviate(String body) {
    String oneLine = body.replaceAll("\\s+", " ").strip();
    return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 300) + "…";
  }
}
