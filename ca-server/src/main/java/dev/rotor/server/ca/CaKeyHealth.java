package dev.rotor.server.ca;

import dev.rotor.pki.Pkcs11Token;
import dev.rotor.pki.SigningCa;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a CA key held in a PKCS#11 token: every few seconds it signs a probe with the active
 * issuing key and verifies it with the CA certificate. While that fails the server is not ready
 * (and issuance, which signs with the same key, answers 503); the watcher logs in again with the
 * PIN, so a token that dropped its session comes back by itself once a later probe signs again.
 * There is no software fallback.
 */
public final class CaKeyHealth implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CaKeyHealth.class);

  private final Pkcs11Token token;
  private final Supplier<SigningCa> active;
  private final ScheduledExecutorService scheduler;
  private volatile boolean healthy;

  public CaKeyHealth(Pkcs11Token token, Supplier<SigningCa> active) {
    this.token = token;
    this.active = active;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("ca-key-health").factory());
  }

  /** Probes once now, then every {@code every}. */
  public CaKeyHealth start(Duration every) {
    check();
    scheduler.scheduleWithFixedDelay(this::check, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Whether the last probe signed with the active CA key. */
  public boolean isHealthy() {
    return healthy;
  }

  void check() {
    SigningCa ca = active.get();
    if (token.canSign(ca.privateKey(), ca.certificate(), ca.algorithm())) {
      if (!healthy) {
        log.info("ca key usable token=\"{}\"", token.description());
      }
      healthy = true;
      return;
    }
    if (healthy) {
      log.error("ca key cannot sign, issuance is stopped until it can token=\"{}\"", token.description());
    }
    healthy = false;
    try {
      // Log in again now; the server stays unready until the next probe succeeds, so a token that
      // flaps is not reported ready between two failures.
      token.login();
      log.info("logged in to the pkcs11 token again, next probe decides readiness token=\"{}\"", token.description());
    } catch (RuntimeException e) {
      log.warn("pkcs11 login failed token=\"{}\" error={}", token.description(), e.getMessage());
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
