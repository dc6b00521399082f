package dev.rotor.agent.proxy;

import java.security.cert.CertificateException;

/** Thrown by the proxy's trust manager; the handshake fails and the reason is counted. */
public final class PeerRejected extends CertificateException {

  private final DenyReason reason;

  public PeerRejected(DenyReason reason, String detail) {
    super(detail);
    this.reason = reason;
  }

  public DenyReason reason() {
    return reason;
  }

  /** The rejection somewhere in a handshake exception's causes, if the proxy's checks caused it. */
  public static PeerRejected in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof PeerRejected r) {
        return r;
      }
      for (Throwable s : c.getSuppressed()) {
        if (s instanceof PeerRejected r) {
          return r;
        }
      }
    }
    return null;
  }
}
