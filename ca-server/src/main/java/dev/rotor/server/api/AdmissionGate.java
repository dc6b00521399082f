package dev.rotor.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.QoSHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission control for the requests that issue certificates ({@code POST} to the agent API's
 * attest, renew and workloads/sign, and to the REST {@code /api/v1/certificates}): Jetty's
 * {@link QoSHandler} in front of the router.
 *
 * <ul>
 *   <li>At most {@code maxConcurrent} of them are handled at once; the rest wait, without a
 *       thread, in a priority queue of at most {@code maxQueued}: the request whose current
 *       certificate expires soonest is resumed first ({@link Urgency}). The agent's own
 *       certificate's notAfter comes from its TLS client certificate (already validated against
 *       the CA by the handshake); a workload renewal may name its current certificate's notAfter
 *       in {@value #CURRENT_NOT_AFTER}.
 *   <li>A request that finds the queue full, or waits longer than {@code maxWait}, is answered at
 *       once with 429 {@code overloaded} and a {@code Retry-After} from {@link RetryAfter}, before
 *       its body, CSR or signature is looked at: refusing costs a few microseconds.
 * </ul>
 *
 * <p>Other requests (GETs, the revocation long poll, the UI, ACME) pass straight through.
 */
public final class AdmissionGate extends QoSHandler {

  private static final Logger log = LoggerFactory.getLogger(AdmissionGate.class);

  /** Request header: the notAfter (RFC 3339) of the certificate a renewal replaces. */
  public static final String CURRENT_NOT_AFTER = "Rotor-Current-Not-After";
  /** The gated routes (all POST). */
  public static final String[] PATHS = {"/agent/v1/attest", "/agent/v1/renew", "/agent/v1/workloads/sign", "/api/v1/certificates"};

  /**
   * @param maxConcurrent issuance requests handled at once
   * @param maxQueued requests waiting beyond that
   * @param maxWait the longest a request waits in the queue
   * @param maxRetryAfter the largest Retry-After sent
   */
  public record Settings(int maxConcurrent, int maxQueued, Duration maxWait, Duration maxRetryAfter) {
    public Settings {
      if (maxConcurrent < 1 || maxQueued < 0 || maxWait.isNegative() || maxWait.isZero()
          || maxRetryAfter.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("admission: need maxConcurrent >= 1, maxQueued >= 0, maxWait > 0, maxRetryAfter >= 1s");
      }
    }

    public static Settings defaults() {
      return new Settings(64, 2_000, Duration.ofSeconds(5), Duration.ofSeconds(60));
    }
  }

  private final ObjectMapper json;
  private final Clock clock;
  private final RetryAfter retryAfter;

  public AdmissionGate(Handler next, Settings settings, ObjectMapper json, Clock clock) {
    this(settings, json, clock, new RetryAfter(clock, settings.maxRetryAfter()));
    setHandler(new Handler.Wrapper(next) {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Request.addCompletionListener(request, failure -> retryAfter.completed());
        return super.handle(request, response, callback);
      }
    });
  }

  private AdmissionGate(Settings settings, ObjectMapper json, Clock clock, RetryAfter retryAfter) {
    this.json = json;
    this.clock = clock;
    this.retryAfter = retryAfter;
    setMaxRequestCount(settings.maxConcurrent());
    setMaxSuspendedRequestCount(settings.maxQueued());
    setMaxSuspend(settings.maxWait());
    setRejectStatusCode(ErrorCode.OVERLOADED.httpStatus());
    includeMethod("POST");
    includePath(PATHS);
  }

  @Override
  protected int getPriority(Request request) {
    return Urgency.priority(currentNotAfter(request), clock.instant());
  }

  /** The queue is full. */
  @Override
  protected void reject(Request request, Response response, Callback callback, int status) {
    refuse(request, response, callback, "the server is at its limit of issuance requests");
  }

  /** Waited {@code maxWait} in the queue (or failed on resumption: then Jetty's own answer). */
  @Override
  protected void failSuspended(Request request, Response response, Callback callback, int status, Throwable failure) {
    if (failure instanceof TimeoutException) {
      refuse(request, response, callback, "the request waited too long for a turn");
    } else {
      super.failSuspended(request, response, callback, status, failure);
    }
  }

  /** Completions per second lately (for the Retry-After estimate and tests). */
  public double completionRate() {
    return retryAfter.rate();
  }

  private void refuse(Request request, Response response, Callback callback, String why) {
    Optional<Instant> notAfter = currentNotAfter(request);
    Instant now = clock.instant();
    int backlog = getMaxRequestCount() + getSuspendedRequestCount();
    long seconds = retryAfter.seconds(backlog, notAfter.map(n -> Duration.between(now, n)).filter(d -> !d.isNegative()));
    if (log.isDebugEnabled()) {
      log.debug("request shed path={} retryAfter={} backlog={}", Request.getPathInContext(request), seconds, backlog);
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", ErrorCode.OVERLOADED.problemType());
    p.put("title", ErrorCode.OVERLOADED.title());
    p.put("status", ErrorCode.OVERLOADED.httpStatus());
    p.put("detail", why + "; retry after " + seconds + " s");
    byte[] body;
    try {
      body = json.writeValueAsBytes(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (response.isCommitted()) {
      callback.failed(new IllegalStateException("response already committed"));
      return;
    }
    long length = request.getLength();
    if (length < 0 || length > Exchange.MAX_BODY) {
      // Unknown or too much to read for nothing: answer now; Jetty closes the connection after it.
      write(response, callback, seconds, body);
      return;
    }
    // Read the small body first (without blocking a thread), so that the keep-alive connection
    // stays usable: a refused agent retries on it instead of paying for a new TLS handshake.
    Content.Source.consumeAll(request, Callback.from(() -> write(response, callback, seconds, body),
        failure -> write(response, callback, seconds, body)));
  }

  private static void write(Response response, Callback callback, long seconds, byte[] body) {
    response.setStatus(ErrorCode.OVERLOADED.httpStatus());
    response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(seconds));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** The notAfter of the certificate the request replaces; for attestation, now (the identity has lapsed or is new). */
  private Optional<Instant> currentNotAfter(Request request) {
    String path = Request.getPathInContext(request);
    if (path.equals("/agent/v1/attest")) {
      return Optional.of(clock.instant());
    }
    if (path.equals("/agent/v1/renew")) {
      EndPoint.SslSessionData ssl = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
      X509Certificate[] peer = ssl == null ? null : ssl.peerCertificates();
      return peer == null || peer.length == 0 ? Optional.empty() : Optional.of(peer[0].getNotAfter().toInstant());
    }
    String claimed = request.getHeaders().get(CURRENT_NOT_AFTER);
    if (claimed == null || claimed.length() > 40) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(claimed.trim()));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
