package dev.rotor.server.api;

import java.util.Optional;

/** API roles, each including the one before: viewer reads, operator issues and revokes, admin manages tokens and the CA. */
public enum Role {
  VIEWER("viewer"),
  OPERATOR("operator"),
  ADMIN("admin");

  private final String wire;

  Role(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public boolean includes(Role other) {
    return compareTo(other) >= 0;
  }

  public static Optional<Role> fromWire(String s) {
    for (Role r : values()) {
      if (r.wire.equals(s)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
