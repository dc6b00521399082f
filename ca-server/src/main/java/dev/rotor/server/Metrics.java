package dev.rotor.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.eclipse.jetty.server.handler.QoSHandler;

/** Every metric name the server exports, in one place (Prometheus text on {@code /metrics}). */
public final class Metrics {

  public static final String ISSUANCES = "rotor_issuances";
  public static final String ISSUANCE_LATENCY = "rotor_issuance_seconds";
  public static final String REVOCATIONS = "rotor_revocations";
  public static final String HTTP_REQUESTS = "rotor_http_requests";
  public static final String AGENT_REQUESTS = "rotor_agent_requests";
  public static final String SERVER_CERT_RENEWALS = "rotor_server_certificate_renewals";
  public static final String ACME_REQUESTS = "rotor_acme_requests";
  public static final String ACME_VALIDATIONS = "rotor_acme_validations";
  public static final String LINT_FAILURES = "rotor_certificate_lint_failures";
  public static final String STORED_CHECK_MISMATCHES = "rotor_stored_certificate_mismatches";
  public static final String STORED_CHECKS = "rotor_stored_certificate_checks";
  public static final String ADMISSION_REQUESTS = "rotor_admission_requests";
  public static final String ADMISSION_QUEUED = "rotor_admission_queued";

  private final MeterRegistry registry;

  public Metrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Counts one issuance attempt; {@code outcome} is "issued" or the error's problem slug. */
  public void issuance(String profile, String channel, String outcome) {
    Counter.builder(ISSUANCES).description("certificate issuance attempts by profile, channel and outcome")
        .tag("profile", profile).tag("channel", channel).tag("outcome", outcome)
        .register(registry).increment();
  }

  public Timer issuanceLatency(String profile) {
    return Timer.builder(ISSUANCE_LATENCY).description("time from request to committed certificate")
        .tag("profile", profile)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
  }

  public void revocation(String reason) {
    Counter.builder(REVOCATIONS).description("certificates revoked by reason").tag("reason", reason)
        .register(registry).increment();
  }

  public void httpRequest(String route, int status) {
    Counter.builder(HTTP_REQUESTS).description("HTTP requests by route and status")
        .tag("route", route).tag("status", Integer.toString(status))
        .register(registry).increment();
  }

  /** Counts one agent API request; {@code outcome} is "issued" or the error's problem slug. */
  public void agentRequest(String endpoint, String outcome) {
    Counter.builder(AGENT_REQUESTS).description("agent API requests by endpoint and outcome")
        .tag("endpoint", endpoint).tag("outcome", outcome)
        .register(registry).increment();
  }

  public void serverCertificateRenewal(String outcome) {
    Counter.builder(SERVER_CERT_RENEWALS).description("renewals of the server's own HTTPS certificate")
        .tag("outcome", outcome).register(registry).increment();
  }

  /** Counts one ACME request; {@code outcome} is "ok" or the ACME error type (badNonce, ...). */
  public void acmeRequest(String endpoint, String outcome) {
    Counter.builder(ACME_REQUESTS).description("ACME requests by endpoint and outcome")
        .tag("endpoint", endpoint).tag("outcome", outcome).register(registry).increment();
  }

  /** Counts one challenge validation attempt; {@code outcome} is valid, retry or the ACME error type. */
  public void acmeValidation(String type, String outcome) {
    Counter.builder(ACME_VALIDATIONS).description("ACME challenge validation attempts by type and outcome")
        .tag("type", type).tag("outcome", outcome).register(registry).increment();
  }

  /** Counts one certificate refused by the lint gate before signing, per broken rule. */
  public void lintFailure(String rule) {
    Counter.builder(LINT_FAILURES).description("certificates the lint gate refused to sign, by broken rule")
        .tag("rule", rule).register(registry).increment();
  }

  /** Counts stored certificates re-checked by the checker job, by outcome (ok or mismatch). */
  public void storedCheck(String outcome) {
    Counter.builder(STORED_CHECKS).description("stored certificates re-verified by the checker job, by outcome")
        .tag("outcome", outcome).register(registry).increment();
  }

  /** Counts one problem the checker job found in a stored certificate, by kind. */
  public void storedMismatch(String kind) {
    Counter.builder(STORED_CHECK_MISMATCHES).description("problems found in stored certificates by the checker job, by kind")
        .tag("kind", kind).register(registry).increment();
  }

  /**
   * The admission gate's counters: issuing requests seen, those that had to wait, those refused
   * after waiting too long ({@code expired}) or because the queue was full ({@code exceeded}),
   * and how many wait now. Read from the gate (Jetty holds it, so the meters' weak reference stays).
   */
  public void admission(QoSHandler gate) {
    String d = "issuing requests through the admission gate: all, queued, refused after waiting (expired), refused at once (exceeded)";
    FunctionCounter.builder(ADMISSION_REQUESTS, gate, QoSHandler::getTotalRequestCount).description(d).tag("outcome", "all").register(registry);
    FunctionCounter.builder(ADMISSION_REQUESTS, gate, QoSHandler::getTotalSuspendedRequestCount).description(d).tag("outcome", "queued").register(registry);
    FunctionCounter.builder(ADMISSION_REQUESTS, gate, QoSHandler::getTotalExpiredRequestCount).description(d).tag("outcome", "expired").register(registry);
    FunctionCounter.builder(ADMISSION_REQUESTS, gate, QoSHandler::getTotalExceededRequestCount).description(d).tag("outcome", "exceeded").register(registry);
    Gauge.builder(ADMISSION_QUEUED, gate, QoSHandler::getSuspendedRequestCount).description("issuing requests waiting for their turn now").register(registry);
  }
}
