package dev.rotor.server.acme;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * http-01 (RFC 8555 §8.3): GET {@code http://<name>:<port>/.well-known/acme-challenge/<token>}
 * and compare the body with the key authorization. Names resolve through {@link HostResolver};
 * at most {@link #MAX_REDIRECTS} redirects, only to http or https on the http-01 port or 443;
 * bodies over {@link #MAX_BODY} bytes and answers slower than {@link #TIMEOUT_SECONDS} fail.
 */
public final class Http01Validator implements ChallengeValidator, AutoCloseable {

  static final int MAX_REDIRECTS = 10;
  static final int MAX_BODY = 1024;
  static final int TIMEOUT_SECONDS = 10;

  private final HttpClient client;
  private final int port;

  public Http01Validator(HostResolver resolver, int port) throws Exception {
    this.port = port;
    SslContextFactory.Client tls = new SslContextFactory.Client(true); // RFC 8555 §8.3: certificates on a redirect to https are not checked
    this.client = new HttpClient();
    client.setSslContextFactory(tls);
    client.setFollowRedirects(false);
    client.setConnectTimeout(5_000);
    client.setIdleTimeout(5_000);
    client.setMaxConnectionsPerDestination(64);
    // Every validation goes to another host: without this, Jetty keeps one destination per host
    // for ever (a leak, and each new connection scans them all).
    client.setDestinationIdleTimeout(10_000);
    client.setUserAgentField(new org.eclipse.jetty.http.HttpField(HttpHeader.USER_AGENT, "rotor-acme-validator"));
    client.setSocketAddressResolver((host, p, context, promise) -> {
      try {
        List<InetAddress> addresses = resolver.addresses(host);
        promise.succeeded(addresses.stream().map(a -> new InetSocketAddress(a, p)).toList());
      } catch (AcmeException e) {
        promise.failed(new java.net.UnknownHostException(e.getMessage()));
      }
    });
    client.start();
  }

  @Override
  public void validate(Identifier identifier, String token, String keyAuthorization) {
    String host = identifier.type().equals(Identifier.IP) && identifier.value().contains(":")
        ? "[" + identifier.value() + "]" : identifier.value();
    URI uri = URI.create("http://" + host + ":" + port + "/.well-known/acme-challenge/" + token);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      ContentResponse response = get(uri);
      int status = response.getStatus();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        String location = response.getHeaders().get(HttpHeader.LOCATION);
        if (location == null) {
          throw new AcmeException(AcmeError.CONNECTION, "redirect without Location from " + uri);
        }
        URI next = uri.resolve(location);
        if (!("http".equals(next.getScheme()) || "https".equals(next.getScheme()))) {
          throw new AcmeException(AcmeError.CONNECTION, "redirect to a scheme other than http or https: " + next.getScheme());
        }
        int nextPort = next.getPort() == -1 ? ("http".equals(next.getScheme()) ? 80 : 443) : next.getPort();
        if (nextPort != port && nextPort != 443 && nextPort != 80) {
          throw new AcmeException(AcmeError.CONNECTION, "redirect to port " + nextPort + " is not allowed");
        }
        uri = next;
        continue;
      }
      if (status != 200) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "GET " + uri + " answered " + status);
      }
      String body = new String(response.getContent(), StandardCharsets.UTF_8).strip();
      if (!body.equals(keyAuthorization)) {
        throw new AcmeException(AcmeError.INCORRECT_RESPONSE, "the key authorization at " + uri + " does not match");
      }
      return;
    }
    throw new AcmeException(AcmeError.CONNECTION, "too many redirects (more than " + MAX_REDIRECTS + ")");
  }

  private ContentResponse get(URI uri) {
    Request request = client.newRequest(uri).timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    try {
      return new CompletableResponseListener(request, MAX_BODY).send().get(TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.net.UnknownHostException) {
        throw new AcmeException(AcmeError.DNS, cause.getMessage());
      }
      if (cause instanceof IllegalArgumentException) {
        throw new AcmeException(AcmeError.CONNECTION, "the answer from " + uri + " is too large");
      }
      throw new AcmeException(AcmeError.CONNECTION, "GET " + uri + " failed: " + cause);
    } catch (TimeoutException e) {
      throw new AcmeException(AcmeError.CONNECTION, "GET " + uri + " timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AcmeException(AcmeError.CONNECTION, "interrupted");
    }
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
