package dev.rotor.server.issuance;

import dev.rotor.pki.PkiException;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;

/** Maps ca-pki's problems onto the server's error table. */
public final class PkiErrors {
  private PkiErrors() {}

  public static RotorException toRotor(PkiException e) {
    ErrorCode code = switch (e.problem()) {
      case NOT_PEM, MALFORMED, BAD_SIGNATURE, UNSUPPORTED_SIGNATURE_ALGORITHM, BAD_EXTENSION, TOO_LARGE -> ErrorCode.BAD_CSR;
      case WEAK_KEY, UNSUPPORTED_KEY -> ErrorCode.BAD_PUBLIC_KEY;
      case REJECTED_NAME -> ErrorCode.REJECTED_IDENTIFIER;
      case BAD_TTL -> ErrorCode.BAD_TTL;
      case WRONG_PASSPHRASE -> ErrorCode.INTERNAL;
    };
    return new RotorException(code, e.getMessage(), e);
  }
}
