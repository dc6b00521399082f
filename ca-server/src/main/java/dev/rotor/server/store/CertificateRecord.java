package dev.rotor.server.store;

import java.time.Instant;
import java.util.List;

/** A row of {@code certificates} as the read side sees it. */
public record CertificateRecord(
    long id,
    String serial,
    int issuerId,
    String profile,
    String channel,
    String requester,
    String subject,
    List<String> sans,
    Instant notBefore,
    Instant notAfter,
    byte[] der,
    Instant revokedAt,
    String revocationReason,
    Instant createdAt) {

  /** active, revoked or expired, at {@code now}. A revoked certificate stays "revoked" after it expires. */
  public String status(Instant now) {
    if (revokedAt != null) {
      return "revoked";
    }
    return notAfter.isAfter(now) ? "active" : "expired";
  }
}
