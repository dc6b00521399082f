package dev.rotor.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.Metrics;
import dev.rotor.server.RotorException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Method + path-template routing for one port, and the single place where exceptions become
 * responses: a {@link RotorException} becomes its problem; anything else is a 500 with a trace
 * id in the log and a generic message for the client.
 */
public final class Router extends Handler.Abstract {

  private static final Logger log = LoggerFactory.getLogger(Router.class);

  /** A handler for one route. */
  @FunctionalInterface
  public interface Endpoint {
    void handle(Exchange exchange) throws Exception;
  }

  private record Route(String method, String template, String[] segments, Endpoint endpoint) {}

  private final List<Route> routes = new ArrayList<>();
  private final ObjectMapper json;
  private final Metrics metrics;
  private Handler fallback;

  public Router(ObjectMapper json, Metrics metrics) {
    this.json = json;
    this.metrics = metrics;
  }

  /**
   * Adds a route; {@code template} segments like {@code {serial}} capture one path segment, and a
   * last segment {@code {*rest}} captures all remaining segments joined by '/'.
   */
  public Router route(String method, String template, Endpoint endpoint) {
    routes.add(new Route(method, template, split(template), endpoint));
    return this;
  }

  /** A handler for paths no route matches (for example static UI assets); 404 problem otherwise. */
  public Router fallback(Handler handler) {
    this.fallback = handler;
    if (handler != null) {
      handler.setServer(getServer());
    }
    return this;
  }

  @Override
  protected void doStart() throws Exception {
    if (fallback != null) {
      fallback.setServer(getServer());
      addBean(fallback);
    }
    super.doStart();
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    // The raw (still percent-encoded) path, so that an encoded '/' stays inside its segment.
    String[] path = split(request.getHttpURI().getPath());
    Set<String> allowed = new LinkedHashSet<>();
    for (Route r : routes) {
      Map<String, String> params = match(r.segments(), path);
      if (params == null) {
        continue;
      }
      if (!r.method().equals(request.getMethod())) {
        allowed.add(r.method());
        continue;
      }
      run(r, new Exchange(request, response, callback, params, json));
      return true;
    }
    Exchange ex = new Exchange(request, response, callback, Map.of(), json);
    if (!allowed.isEmpty()) {
      response.getHeaders().put("Allow", String.join(", ", allowed));
      ex.problem(ErrorCode.METHOD_NOT_ALLOWED, request.getMethod() + " is not allowed here; use " + String.join(" or ", allowed));
      metrics.httpRequest("unmatched", 405);
      return true;
    }
    if (fallback != null && fallback.handle(request, response, callback)) {
      return true;
    }
    ex.problem(ErrorCode.NOT_FOUND, "no such resource: " + Request.getPathInContext(request));
    metrics.httpRequest("unmatched", 404);
    return true;
  }

  private void run(Route r, Exchange ex) {
    try {
      r.endpoint().handle(ex);
    } catch (RotorException e) {
      if (e.code().httpStatus() >= 500) {
        String trace = traceId();
        log.warn("request failed route=\"{} {}\" code={} trace={}", r.method(), r.template(), e.code(), trace, e);
        ex.problem(e.code(), e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.CERTIFICATE_LINT
            ? e.getMessage() + " (trace " + trace + ")"
            : "internal error (trace " + trace + ")");
      } else {
        ex.problem(e.code(), e.getMessage());
      }
    } catch (dev.rotor.pki.SigningKeyUnavailableException e) {
      // The CA key's token (HSM) failed: fail closed with a retryable 503, never a software fallback.
      String trace = traceId();
      log.warn("request failed route=\"{} {}\" code={} trace={} error={}", r.method(), r.template(), ErrorCode.UNAVAILABLE, trace,
          e.getMessage());
      if (!ex.responded()) {
        ex.problem(ErrorCode.UNAVAILABLE, "the CA key is unavailable (its PKCS#11 token failed); retry later (trace " + trace + ")");
      }
    } catch (Exception | StackOverflowError e) {
      String trace = traceId();
      log.error("request failed route=\"{} {}\" trace={}", r.method(), r.template(), trace, e);
      if (!ex.responded()) {
        ex.problem(ErrorCode.INTERNAL, "internal error (trace " + trace + ")");
      }
    }
    if (ex.responded()) { // a long poll answers later, from another thread
      metrics.httpRequest(r.method() + " " + r.template(), ex.status());
    }
  }

  private static String traceId() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  private static String[] split(String path) {
    return java.util.Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
  }

  private static Map<String, String> match(String[] template, String[] path) {
    boolean rest = template.length > 0 && template[template.length - 1].startsWith("{*");
    if (rest ? path.length < template.length : template.length != path.length) {
      return null;
    }
    Map<String, String> params = null;
    for (int i = 0; i < template.length; i++) {
      String t = template[i];
      if (t.startsWith("{*")) {
        if (params == null) {
          params = new HashMap<>();
        }
        params.put(t.substring(2, t.length() - 1), String.join("/", java.util.Arrays.copyOfRange(path, i, path.length)));
        break;
      } else if (t.startsWith("{") && t.endsWith("}")) {
        if (params == null) {
          params = new HashMap<>();
        }
        params.put(t.substring(1, t.length() - 1), path[i]);
      } else if (!t.equals(path[i])) {
        return null;
      }
    }
    return params == null ? Map.of() : params;
  }
}
