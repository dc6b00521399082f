package dev.rotor.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/** One request and its response, with the few helpers handlers need. */
public final class Exchange {

  /** Request bodies above this are refused before parsing (413). */
  public static final int MAX_BODY = 64 * 1024;

  private final Request request;
  private final Response response;
  private final Callback callback;
  private final Map<String, String> pathParams;
  private final ObjectMapper json;
  private boolean responded;
  private boolean bodyRead;
  private int status;

  Exchange(Request request, Response response, Callback callback, Map<String, String> pathParams, ObjectMapper json) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.pathParams = pathParams;
    this.json = json;
  }

  public Request request() {
    return request;
  }

  public String path(String name) {
    return pathParams.get(name);
  }

  public Optional<String> query(String name) {
    Fields fields = Request.extractQueryParameters(request);
    Fields.Field f = fields.get(name);
    return f == null ? Optional.empty() : Optional.ofNullable(f.getValue()).filter(v -> !v.isEmpty());
  }

  /** The value of a request cookie, if sent (the first one of that name). */
  public Optional<String> cookie(String name) {
    List<org.eclipse.jetty.http.HttpCookie> cookies = Request.getCookies(request);
    if (cookies != null) {
      for (org.eclipse.jetty.http.HttpCookie c : cookies) {
        if (c.getName().equals(name)) {
          return Optional.ofNullable(c.getValue()).filter(v -> !v.isEmpty());
        }
      }
    }
    return Optional.empty();
  }

  public String header(HttpHeader name) {
    return request.getHeaders().get(name);
  }

  /**
   * Up to this many bytes of an oversized body are read and discarded before the 413 is sent, so
   * that a client still sending gets the answer instead of a connection reset.
   */
  static final int DRAIN_LIMIT = 1024 * 1024;

  /** The body, at most {@link #MAX_BODY} bytes (413 otherwise). */
  public byte[] body() throws IOException {
    bodyRead = true;
    long declared = request.getLength();
    try (InputStream in = Content.Source.asInputStream(request)) {
      if (declared > MAX_BODY) {
        drain(in, declared);
        throw new RotorException(ErrorCode.BODY_TOO_LARGE, "the body is " + declared + " bytes; the limit is " + MAX_BODY);
      }
      // With a Content-Length (Jetty holds the body to it) read exactly that: readNBytes of the
      // limit would allocate a 16 KiB buffer for every ~1 KiB CSR request.
      byte[] b = in.readNBytes(declared >= 0 ? (int) declared : MAX_BODY + 1);
      if (b.length > MAX_BODY) {
        drain(in, -1);
        throw new RotorException(ErrorCode.BODY_TOO_LARGE, "the body exceeds the limit of " + MAX_BODY + " bytes");
      }
      return b;
    }
  }

  private static void drain(InputStream in, long declared) throws IOException {
    if (declared > DRAIN_LIMIT) {
      return; // too much to read for nothing: Jetty closes the connection after the answer
    }
    long left = DRAIN_LIMIT;
    byte[] sink = new byte[8192];
    int n;
    while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
      left -= n;
    }
  }

  /** Parses a JSON body into {@code type}, or MALFORMED_REQUEST/UNSUPPORTED_MEDIA_TYPE. */
  public <T> T readJson(Class<T> type) throws IOException {
    String ct = header(HttpHeader.CONTENT_TYPE);
    if (ct != null && !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw new RotorException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json");
    }
    byte[] body = body();
    if (body.length == 0) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "the request body is empty; expected a JSON object");
    }
    return parseJson(json, body, type);
  }

  /**
   * Binds {@code body} to {@code type}; whatever the bytes, the only refusal is a
   * MALFORMED_REQUEST {@link RotorException}.
   */
  static <T> T parseJson(ObjectMapper json, byte[] body, Class<T> type) {
    try {
      T value = json.readValue(body, type);
      if (value == null) {
        throw new RotorException(ErrorCode.MALFORMED_REQUEST, "expected a JSON object");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      // Jackson guesses UTF-16/UTF-32 from leading zero bytes and reports an invalid code unit
      // there as CharConversionException, an IOException outside JsonProcessingException; it was
      // a 500 until JsonBodyFuzzTest found it. The body is in memory, so any IOException here is
      // the client's malformed body.
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "malformed JSON: " + e.getMessage());
    }
  }

  public void json(int status, Object body) throws JsonProcessingException {
    send(status, "application/json", json.writeValueAsBytes(body));
  }

  public void problem(ErrorCode code, String detail) {
    Map<String, Object> p = new java.util.LinkedHashMap<>();
    p.put("type", code.problemType());
    p.put("title", code.title());
    p.put("status", code.httpStatus());
    p.put("detail", detail);
    try {
      if (code == ErrorCode.UNAVAILABLE) {
        // 3 to 8 s, so that clients refused together (a database outage) do not return together.
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(3 + java.util.concurrent.ThreadLocalRandom.current().nextInt(6)));
      }
      if (code == ErrorCode.UNAUTHENTICATED) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"rotor\"");
      }
      send(code.httpStatus(), "application/problem+json", json.writeValueAsBytes(p));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public void send(int status, String contentType, byte[] body) {
    if (responded) {
      throw new IllegalStateException("response already sent");
    }
    responded = true;
    this.status = status;
    if (!bodyRead) {
      // A request refused before its body was read (401, 403, 404, ...): read the rest first, or
      // Jetty would close the connection after an already committed keep-alive answer and the
      // client could send its next request into the closing connection.
      bodyRead = true;
      if (request.getLength() != 0) {
        try (InputStream in = Content.Source.asInputStream(request)) {
          drain(in, request.getLength());
        } catch (IOException | RuntimeException e) {
          // the client is gone or sent garbage: Jetty closes the connection after the answer
        }
      }
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    if (!response.getHeaders().contains(HttpHeader.CACHE_CONTROL)) {
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store"); // unless the handler allowed caching
    }
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** Adds a response header (before {@link #send}). */
  public void responseHeader(String name, String value) {
    response.getHeaders().put(name, value);
  }

  /** Whether the Accept header names {@code mediaType} explicitly. */
  public boolean accepts(String mediaType) {
    List<String> accept = request.getHeaders().getValuesList(HttpHeader.ACCEPT);
    for (String a : accept) {
      for (String part : a.split(",")) {
        if (part.trim().toLowerCase(java.util.Locale.ROOT).startsWith(mediaType)) {
          return true;
        }
      }
    }
    return false;
  }

  boolean responded() {
    return responded;
  }

  int status() {
    return status;
  }
}
