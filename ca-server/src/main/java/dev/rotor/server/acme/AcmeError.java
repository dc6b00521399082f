package dev.rotor.server.acme;

/**
 * The ACME error types Rotor answers with (RFC 8555 §6.7, RFC 9773 §7.4), each with its HTTP
 * status: the one table of ACME wire strings.
 */
public enum AcmeError {
  MALFORMED("malformed", 400),
  BAD_NONCE("badNonce", 400),
  UNAUTHORIZED("unauthorized", 403),
  ACCOUNT_DOES_NOT_EXIST("accountDoesNotExist", 400),
  BAD_SIGNATURE_ALGORITHM("badSignatureAlgorithm", 400),
  BAD_PUBLIC_KEY("badPublicKey", 400),
  REJECTED_IDENTIFIER("rejectedIdentifier", 400),
  UNSUPPORTED_IDENTIFIER("unsupportedIdentifier", 400),
  /** RFC 8555 §7.4: 403, not 400. */
  ORDER_NOT_READY("orderNotReady", 403),
  BAD_CSR("badCSR", 400),
  RATE_LIMITED("rateLimited", 429),
  EXTERNAL_ACCOUNT_REQUIRED("externalAccountRequired", 400),
  INCORRECT_RESPONSE("incorrectResponse", 403),
  CONNECTION("connection", 400),
  DNS("dns", 400),
  TLS("tls", 400),
  ALREADY_REVOKED("alreadyRevoked", 400),
  BAD_REVOCATION_REASON("badRevocationReason", 400),
  ALREADY_REPLACED("alreadyReplaced", 409),
  SERVER_INTERNAL("serverInternal", 500);

  private static final String PREFIX = "urn:ietf:params:acme:error:";

  private final String wire;
  private final int status;

  AcmeError(String wire, int status) {
    this.wire = wire;
    this.status = status;
  }

  /** The problem type URN, e.g. {@code urn:ietf:params:acme:error:badNonce}. */
  public String type() {
    return PREFIX + wire;
  }

  public String wire() {
    return wire;
  }

  public int status() {
    return status;
  }
}
