package dev.rotor.server.ui;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.api.Exchange;
import dev.rotor.server.api.Router;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves the admin UI (the {@code ca-admin-ui} jar's {@code rotor-ui/} resources) at
 * {@code /ui/}, and the uPlot WebJar at {@code /ui/vendor/uplot/}. Every response carries a
 * Content-Security-Policy without inline scripts, {@code frame-ancestors 'none'} and nosniff.
 */
public final class UiAssets {

  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  private static final String BASE = "rotor-ui/";
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml",
      "png", "image/png",
      "ico", "image/x-icon",
      "json", "application/json");

  private final ClassLoader loader = UiAssets.class.getClassLoader();
  private final String uplotBase;
  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  public UiAssets() {
    this.uplotBase = webJarBase("org.webjars.npm", "uplot") + "dist/";
  }

  /** Whether the UI's assets are on the class path (they are in the server jar). */
  public boolean available() {
    return loader.getResource(BASE + "index.html") != null;
  }

  public void register(Router router) {
    router.route("GET", "/", ex -> redirect(ex, "/ui/"))
        // The router ignores a trailing slash; relative asset URLs in index.html need it.
        .route("GET", "/ui", ex -> {
          if (ex.request().getHttpURI().getPath().endsWith("/")) {
            serve(ex, BASE + "index.html");
          } else {
            redirect(ex, "/ui/");
          }
        })
        .route("GET", "/ui/vendor/uplot/{file}", ex -> serve(ex, uplotBase + ex.path("file")))
        .route("GET", "/ui/{*path}", ex -> serve(ex, BASE + ex.path("path")));
  }

  private static void redirect(Exchange ex, String to) {
    headers(ex);
    ex.responseHeader("Location", to);
    ex.send(302, "text/plain; charset=utf-8", ("see " + to).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  private void serve(Exchange ex, String resource) throws IOException {
    String file = resource.substring(resource.lastIndexOf('/') + 1);
    String ext = file.contains(".") ? file.substring(file.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
    // Only plain names below the base: no "..", no empty or hidden segments, known types only.
    if (resource.contains("..") || resource.contains("//") || resource.contains("/.") || resource.contains("\\")
        || !TYPES.containsKey(ext)) {
      throw new RotorException(ErrorCode.NOT_FOUND, "no such UI file");
    }
    byte[] body = cache.get(resource);
    if (body == null) {
      try (InputStream in = loader.getResourceAsStream(resource)) {
        if (in == null) {
          throw new RotorException(ErrorCode.NOT_FOUND, "no such UI file");
        }
        body = in.readAllBytes();
      }
      cache.put(resource, body);
    }
    headers(ex);
    ex.send(200, TYPES.get(ext), body);
  }

  private static void headers(Exchange ex) {
    ex.responseHeader("Content-Security-Policy", CSP);
    ex.responseHeader("X-Frame-Options", "DENY");
    ex.responseHeader("Referrer-Policy", "no-referrer");
  }

  private String webJarBase(String group, String artifact) {
    Properties p = new Properties();
    try (InputStream in = loader.getResourceAsStream("META-INF/maven/" + group + "/" + artifact + "/pom.properties")) {
      if (in == null) {
        return "META-INF/resources/webjars/" + artifact + "/missing/";
      }
      p.load(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return "META-INF/resources/webjars/" + artifact + "/" + p.getProperty("version") + "/";
  }
}
