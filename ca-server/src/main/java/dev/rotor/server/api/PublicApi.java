package dev.rotor.server.api;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.ca.CertificateAuthority;
import dev.rotor.server.revocation.CrlPublisher;
import dev.rotor.server.revocation.OcspService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Unauthenticated endpoints: revocation (CRL, OCSP), the trust bundle and issuing CA certificate,
 * health and metrics. Served on the plain-HTTP port (relying parties fetch CRLs and OCSP over
 * HTTP, RFC 5280 §4.2.1.13 and RFC 6960 appendix A); the bundle and health also on HTTPS.
 */
public final class PublicApi {

  static final int MAX_OCSP_REQUEST = 8 * 1024;

  private final ActiveCa ca;
  private final CrlPublisher crl;
  private final OcspService ocsp;
  private final PrometheusMeterRegistry prometheus;
  private final Map<String, BooleanSupplier> readiness;

  /** @param readiness named checks that must all pass for {@code /readyz} to answer 200 */
  public PublicApi(ActiveCa ca, CrlPublisher crl, OcspService ocsp, PrometheusMeterRegistry prometheus,
      Map<String, BooleanSupplier> readiness) {
    this.ca = ca;
    this.crl = crl;
    this.ocsp = ocsp;
    this.prometheus = prometheus;
    this.readiness = readiness;
  }

  /** The routes of the plain-HTTP port. */
  public void registerHttp(Router router) {
    router.route("GET", "/crl", this::crl)
        .route("GET", "/crl/{issuer}", this::crlOf)
        .route("POST", "/ocsp", this::ocspPost)
        .route("GET", "/ocsp/{*request}", this::ocspGet)
        .route("GET", "/metrics", this::metrics);
    registerCommon(router);
  }

  /** The routes both ports serve. */
  public void registerCommon(Router router) {
    router.route("GET", "/ca/bundle.pem", this::bundle)
        .route("GET", "/ca/issuer.crt", this::issuer)
        .route("GET", "/ca/issuers/{file}", this::issuerOf)
        .route("GET", "/healthz", ex -> ex.json(200, Map.of("status", "ok")))
        .route("GET", "/readyz", this::ready);
  }

  private void crl(Exchange ex) {
    sendCrl(ex, crl.current());
  }

  /** The CRL of one intermediate (each leaf's CRL distribution point), while it is in the bundle. */
  private void crlOf(Exchange ex) {
    int id = issuerId(ex.path("issuer"));
    sendCrl(ex, crl.current(id).orElseThrow(() -> new RotorException(ErrorCode.NOT_FOUND, "no CA " + id + " in service")));
  }

  private static int issuerId(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new RotorException(ErrorCode.NOT_FOUND, "no CA " + text);
    }
  }

  private void sendCrl(Exchange ex, CrlPublisher.Crl current) {
    ex.responseHeader("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(current.thisUpdate().atZone(java.time.ZoneOffset.UTC)));
    ex.responseHeader("Expires", DateTimeFormatter.RFC_1123_DATE_TIME.format(current.nextUpdate().atZone(java.time.ZoneOffset.UTC)));
    ex.send(200, "application/pkix-crl", current.der());
  }

  private void ocspPost(Exchange ex) throws Exception {
    String ct = ex.header(HttpHeader.CONTENT_TYPE);
    if (ct == null || !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/ocsp-request")) {
      throw new RotorException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/ocsp-request");
    }
    byte[] body = ex.body();
    if (body.length > MAX_OCSP_REQUEST) {
      throw new RotorException(ErrorCode.BODY_TOO_LARGE, "OCSP requests are limited to " + MAX_OCSP_REQUEST + " bytes");
    }
    ex.send(200, "application/ocsp-response", ocsp.respond(body));
  }

  /** RFC 6960 appendix A.1: GET {url}/{url-encoding of base64 of the DER request}; '/' may or may not be encoded. */
  private void ocspGet(Exchange ex) {
    String raw = ex.path("request");
    byte[] der;
    try {
      String b64 = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.US_ASCII);
      der = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      der = new byte[0]; // the responder answers malformedRequest
    }
    if (der.length > MAX_OCSP_REQUEST) {
      throw new RotorException(ErrorCode.BODY_TOO_LARGE, "OCSP requests are limited to " + MAX_OCSP_REQUEST + " bytes");
    }
    ex.send(200, "application/ocsp-response", ocsp.respond(der));
  }

  private void bundle(Exchange ex) {
    ex.send(200, "application/x-pem-file", ca.current().bundlePem().getBytes(StandardCharsets.US_ASCII));
  }

  private void issuer(Exchange ex) throws CertificateEncodingException {
    ex.send(200, "application/pkix-cert", ca.current().issuingCertificate().getEncoded());
  }

  /** {@code /ca/issuers/<id>.crt}: an intermediate in the bundle (each leaf's AIA caIssuers). */
  private void issuerOf(Exchange ex) throws CertificateEncodingException {
    String file = ex.path("file");
    int id = issuerId(file.endsWith(".crt") ? file.substring(0, file.length() - 4) : file);
    CertificateAuthority.Issuer issuer = ca.current().issuer(id)
        .orElseThrow(() -> new RotorException(ErrorCode.NOT_FOUND, "no CA " + id + " in service"));
    ex.send(200, "application/pkix-cert", issuer.ca().certificate().getEncoded());
  }

  private void metrics(Exchange ex) {
    ex.send(200, "text/plain; version=0.0.4; charset=utf-8", prometheus.scrape().getBytes(StandardCharsets.UTF_8));
  }

  private void ready(Exchange ex) throws Exception {
    Map<String, Object> checks = new LinkedHashMap<>();
    boolean ok = true;
    for (Map.Entry<String, BooleanSupplier> e : readiness.entrySet()) {
      boolean pass = e.getValue().getAsBoolean();
      checks.put(e.getKey(), pass ? "ok" : "failing");
      ok &= pass;
    }
    ex.json(ok ? 200 : 503, Map.of("status", ok ? "ready" : "not ready", "checks", checks));
  }
}
