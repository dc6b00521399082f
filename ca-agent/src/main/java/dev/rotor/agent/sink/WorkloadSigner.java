package dev.rotor.agent.sink;

import dev.rotor.agent.api.ApiError;
import dev.rotor.agent.api.Issued;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The one thing the sinks need from the server: a workload certificate for a CSR made on the node. */
@FunctionalInterface
public interface WorkloadSigner {

  /**
   * Signs {@code csrPem} for {@code spiffeId} (+ {@code dnsNames}); {@code ttl} null for the server's default;
   * {@code target} names where the certificate goes ({@code secret:<ns>/<name>}, {@code file:<dir>}) so
   * operators can see what each agent manages; {@code currentNotAfter} is when the certificate being
   * replaced expires (null if there is none), so that a busy server serves the most urgent first.
   */
  Issued sign(String csrPem, String spiffeId, List<String> dnsNames, Duration ttl, String target, Instant currentNotAfter)
      throws ApiError;
}
