package dev.rotor.agent;

import dev.rotor.agent.renew.AgentRotator;
import dev.rotor.agent.sink.SinkEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every metric the agent exports, defined here and nowhere else, and the state {@code /healthz}
 * reads: which managed certificates have expired.
 *
 * <ul>
 *   <li>{@value #EXPIRY} {identity, target}: seconds until the certificate held by a target (the
 *       agent itself, {@code secret:<ns>/<name>}, {@code file:<dir>}) expires; negative once expired
 *   <li>{@value #RENEWALS} {kind=agent|workload, outcome}: renewal attempts by outcome
 *   <li>{@value #SECRET_WRITES} {outcome=written|conflict|failed}: Secret updates, conflicts included
 * </ul>
 */
public final class AgentMetrics implements SinkEvents, AgentRotator.Events {

  public static final String EXPIRY = "rotor_agent_certificate_expiry_seconds";
  public static final String RENEWALS = "rotor_agent_renewals";
  public static final String SECRET_WRITES = "rotor_agent_secret_writes";

  /** The target name of the agent's own certificate. */
  public static final String AGENT_TARGET = "agent";

  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, Held> held = new ConcurrentHashMap<>();

  private record Held(String identity, Instant notAfter, Gauge gauge) {}

  public AgentMetrics(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  @Override
  public void agentRenewal(String outcome) {
    counter(RENEWALS, "kind", "agent", "outcome", outcome).increment();
  }

  @Override
  public void workloadRenewal(String outcome) {
    counter(RENEWALS, "kind", "workload", "outcome", outcome).increment();
  }

  @Override
  public void secretWrite(String outcome) {
    counter(SECRET_WRITES, "outcome", outcome).increment();
  }

  @Override
  public void certificateHeld(String target, String identity, Instant notAfter) {
    held.compute(target, (t, old) -> {
      if (old != null && old.identity().equals(identity)) {
        return new Held(identity, notAfter, old.gauge());
      }
      if (old != null) {
        registry.remove(old.gauge());
      }
      Gauge g = Gauge.builder(EXPIRY, this, m -> m.secondsLeft(t))
          .description("seconds until the certificate held by the target expires")
          .tags("identity", identity, "target", t)
          .register(registry);
      return new Held(identity, notAfter, g);
    });
  }

  @Override
  public void certificateReleased(String target) {
    Held old = held.remove(target);
    if (old != null) {
      registry.remove(old.gauge());
    }
  }

  /** The targets whose certificate has expired (what makes {@code /healthz} fail). */
  public List<String> expired() {
    Instant now = clock.instant();
    return held.entrySet().stream().filter(e -> !now.isBefore(e.getValue().notAfter())).map(Map.Entry::getKey).sorted().toList();
  }

  private double secondsLeft(String target) {
    Held h = held.get(target);
    return h == null ? Double.NaN : Duration.between(clock.instant(), h.notAfter()).toMillis() / 1000.0;
  }

  private Counter counter(String name, String... tags) {
    String description = name.equals(RENEWALS)
        ? "certificate renewal attempts by kind (agent, workload) and outcome"
        : "Secret updates by outcome (written, conflict: stale resourceVersion, failed)";
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }
}
