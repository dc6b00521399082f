package dev.rotor.server.issuance;

/** The door a request came through; recorded with every certificate and used as a metric tag. */
public enum Channel {
  REST("rest"),
  AGENT("agent"),
  ACME("acme"),
  CRD("crd"),
  /** The server itself (its own HTTPS certificate). */
  SYSTEM("system");

  private final String wire;

  Channel(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }
}
