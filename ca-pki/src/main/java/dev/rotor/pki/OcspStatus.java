package dev.rotor.pki;

import java.time.Instant;
import java.util.Objects;

/** The status of one certificate as an OCSP response states it (RFC 6960 §2.2). */
public sealed interface OcspStatus {

  /** Issued by this CA and not revoked. */
  record Good() implements OcspStatus {}

  /**
   * Revoked.
   *
   * @param revokedAt the revocation time
   * @param reason the reason
   */
  record Revoked(Instant revokedAt, RevocationReason reason) implements OcspStatus {
    /** Requires both fields. */
    public Revoked {
      Objects.requireNonNull(revokedAt, "revokedAt");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Not known to this responder (not issued by this CA, or not found). */
  record Unknown() implements OcspStatus {}
}
