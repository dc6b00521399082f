package dev.rotor.pki;

/**
 * The one checked exception for input the PKI layer refuses: a CSR, a PEM block, a name, a TTL,
 * a key or a passphrase. {@link #problem()} is machine-readable (the server maps it to an error
 * code); {@link #getMessage()} is a sentence about the input, written to be shown to the client
 * that sent it. Details never contain private key material.
 */
public final class PkiException extends Exception {

  private static final long serialVersionUID = 1L;

  /** What kind of input was refused. */
  public enum Problem {
    /** No PEM block of the expected type. */
    NOT_PEM,
    /** The bytes do not parse as the expected structure. */
    MALFORMED,
    /** A signature (the CSR's self-signature) does not verify. */
    BAD_SIGNATURE,
    /** The signature algorithm is weak or not one Rotor accepts. */
    UNSUPPORTED_SIGNATURE_ALGORITHM,
    /** The key is of a supported type but too small or structurally weak. */
    WEAK_KEY,
    /** The key type or curve is not one Rotor issues for. */
    UNSUPPORTED_KEY,
    /** A requested extension is malformed or duplicated. */
    BAD_EXTENSION,
    /** The input exceeds a size limit. */
    TOO_LARGE,
    /** An encrypted private key could not be decrypted with the passphrase (or none was given). */
    WRONG_PASSPHRASE,
    /** A requested name is refused by syntax or policy. */
    REJECTED_NAME,
    /** A requested or computed validity period is outside what the profile or the CA allows. */
    BAD_TTL
  }

  private final Problem problem;

  /**
   * @param problem what kind of input was refused
   * @param detail a sentence safe to show to the client that sent the input
   */
  public PkiException(Problem problem, String detail) {
    super(detail);
    this.problem = problem;
  }

  /**
   * Like {@link #PkiException(Problem, String)}, keeping the underlying cause for logs. Never pass
   * a cause that could carry private key material in its message.
   */
  public PkiException(Problem problem, String detail, Throwable cause) {
    super(detail, cause);
    this.problem = problem;
  }

  /** The machine-readable kind of problem. */
  public Problem problem() {
    return problem;
  }

  /** The detail sentence, safe to show to the client. */
  @Override
  public String getMessage() {
    return super.getMessage();
  }
}
