package dev.rotor.server.acme;

import java.util.LinkedHashMap;
import java.util.Map;

/** An ACME identifier: {@code dns} (RFC 8555 §9.7.7) or {@code ip} (RFC 8738). */
public record Identifier(String type, String value) {

  public static final String DNS = "dns";
  public static final String IP = "ip";

  public boolean isWildcard() {
    return type.equals(DNS) && value.startsWith("*.");
  }

  /** The name validation is about: a wildcard's base name. */
  public String baseName() {
    return isWildcard() ? value.substring(2) : value;
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("value", value);
    return m;
  }
}
