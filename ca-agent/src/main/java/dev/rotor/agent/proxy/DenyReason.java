package dev.rotor.agent.proxy;

/** Why a connection was refused; the metric label and the word in the log. */
public enum DenyReason {
  /** The peer sent no certificate. */
  NO_CERTIFICATE("no_certificate"),
  /** The chain does not lead to the trust bundle (another CA, a broken chain). */
  UNTRUSTED("untrusted"),
  /** The peer certificate is outside its validity period. */
  EXPIRED("expired"),
  /** The peer certificate's serial is in the revocation feed. */
  REVOKED("revoked"),
  /** The peer's SPIFFE ID is missing or not allowed on this listener. */
  IDENTITY_NOT_ALLOWED("identity_not_allowed"),
  /** Not TLS at all (plaintext, garbage) or a failed handshake. */
  HANDSHAKE_FAILED("handshake_failed"),
  /** The peer did not finish the handshake in time. */
  HANDSHAKE_TIMEOUT("handshake_timeout"),
  /** This side has no certificate for the listener's identity yet. */
  NO_LOCAL_IDENTITY("no_local_identity"),
  /** The backend or upstream could not be reached. */
  BACKEND_UNREACHABLE("backend_unreachable");

  private final String label;

  DenyReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
