package dev.rotor.pki;

import java.util.Optional;

/**
 * CRL reason codes, RFC 5280 §5.3.1. The constants are spelled exactly as the RFC's ASN.1 names
 * them (hence lower camel case): they are wire strings in Rotor's API, and one spelling
 * everywhere beats Java convention. Value 7 is unused in the RFC.
 */
public enum RevocationReason {
  unspecified(0),
  keyCompromise(1),
  cACompromise(2),
  affiliationChanged(3),
  superseded(4),
  cessationOfOperation(5),
  certificateHold(6),
  removeFromCRL(8),
  privilegeWithdrawn(9),
  aACompromise(10);

  private final int code;

  RevocationReason(int code) {
    this.code = code;
  }

  /** The CRLReason value. */
  public int code() {
    return code;
  }

  /** The reason with exactly this name (case-sensitive), if any. */
  public static Optional<RevocationReason> fromName(String name) {
    for (RevocationReason r : values()) {
      if (r.name().equals(name)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** The reason with this CRLReason value, if any. */
  public static Optional<RevocationReason> fromCode(int code) {
    for (RevocationReason r : values()) {
      if (r.code == code) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
