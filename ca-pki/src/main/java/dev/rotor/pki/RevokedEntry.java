package dev.rotor.pki;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/**
 * One revoked certificate as a CRL lists it.
 *
 * @param serial the certificate's serial number
 * @param revokedAt when it was revoked
 * @param reason why
 */
public record RevokedEntry(BigInteger serial, Instant revokedAt, RevocationReason reason) {

  /** Requires every field. */
  public RevokedEntry {
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(revokedAt, "revokedAt");
    Objects.requireNonNull(reason, "reason");
  }
}
