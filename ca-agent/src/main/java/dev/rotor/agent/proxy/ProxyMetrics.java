package dev.rotor.agent.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The proxy's metrics: every accept/deny decision, bytes both ways, handshake latency, open connections. */
public final class ProxyMetrics {

  public static final String CONNECTIONS = "rotor_proxy_connections";
  public static final String DENIALS = "rotor_proxy_denials";
  public static final String BYTES = "rotor_proxy_bytes";
  public static final String HANDSHAKE = "rotor_proxy_handshake_seconds";
  public static final String OPEN = "rotor_proxy_open_connections";

  private final MeterRegistry registry;
  private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();

  public ProxyMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void allowed(String listener) {
    Counter.builder(CONNECTIONS).description("proxy connections by listener and outcome")
        .tag("listener", listener).tag("outcome", "allowed").register(registry).increment();
  }

  void denied(String listener, DenyReason reason) {
    Counter.builder(CONNECTIONS).description("proxy connections by listener and outcome")
        .tag("listener", listener).tag("outcome", "denied").register(registry).increment();
    Counter.builder(DENIALS).description("proxy denials by listener and reason")
        .tag("listener", listener).tag("reason", reason.label()).register(registry).increment();
  }

  /** A connection already open was closed because its peer was revoked. */
  void closedRevoked(String listener) {
    Counter.builder(DENIALS).description("proxy denials by listener and reason")
        .tag("listener", listener).tag("reason", "revoked_while_open").register(registry).increment();
  }

  Counter bytes(String listener, String direction) {
    return Counter.builder(BYTES).description("bytes forwarded by listener and direction").baseUnit("bytes")
        .tag("listener", listener).tag("direction", direction).register(registry);
  }

  Timer handshake(String listener) {
    return Timer.builder(HANDSHAKE).description("TLS handshake time").tag("listener", listener)
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
  }

  AtomicInteger open(String listener) {
    return open.computeIfAbsent(listener, l -> registry.gauge(OPEN, io.micrometer.core.instrument.Tags.of("listener", l), new AtomicInteger()));
  }
}
