package dev.rotor.pki;

/**
 * The CA key could not sign: its token (an HSM) is unreachable, logged out or refused the
 * operation. Callers fail closed: nothing is issued, and the server reports itself unready; there
 * is never a fallback to another key.
 */
public final class SigningKeyUnavailableException extends RuntimeException {

  public SigningKeyUnavailableException(Throwable cause) {
    super("the CA key could not sign: " + cause.getMessage(), cause);
  }
}
