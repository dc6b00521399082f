package dev.rotor.server;

/**
 * The exception the core throws for every failure a caller should hear about. The detail of a
 * 4xx code is shown to the client; for a 5xx code the writers show a generic message and log
 * the cause.
 */
public class RotorException extends RuntimeException {

  private final ErrorCode code;

  public RotorException(ErrorCode code, String detail) {
    super(detail);
    this.code = code;
  }

  public RotorException(ErrorCode code, String detail, Throwable cause) {
    super(detail, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
