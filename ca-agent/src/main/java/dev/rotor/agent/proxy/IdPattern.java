package dev.rotor.agent.proxy;

import java.util.List;

/**
 * A SPIFFE ID a listener accepts: exact ({@code spiffe://td/ns/web/sa/api}) or a prefix ending
 * in {@code /*} that covers every ID below it at a segment boundary ({@code spiffe://td/ns/web/*}
 * covers {@code spiffe://td/ns/web/sa/api}, not {@code spiffe://td/ns/webx/sa/api}).
 */
public record IdPattern(String pattern) {

  public IdPattern {
    if (pattern == null || !pattern.startsWith("spiffe://") || pattern.length() > 2048) {
      throw new IllegalArgumentException("a SPIFFE ID pattern starts with spiffe:// (got " + pattern + ")");
    }
    if (pattern.contains("*") && (!pattern.endsWith("/*") || pattern.indexOf('*') != pattern.length() - 1)) {
      throw new IllegalArgumentException("only a trailing /* is allowed as a wildcard: " + pattern);
    }
    if (pattern.endsWith("/*") && pattern.indexOf('/', "spiffe://".length()) == pattern.length() - 2) {
      throw new IllegalArgumentException("a pattern must name at least the trust domain and one path segment: " + pattern);
    }
  }

  public boolean matches(String spiffeId) {
    if (spiffeId == null) {
      return false;
    }
    if (pattern.endsWith("/*")) {
      return spiffeId.startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return pattern.equals(spiffeId);
  }

  public static boolean anyMatches(List<IdPattern> patterns, String spiffeId) {
    for (IdPattern p : patterns) {
      if (p.matches(spiffeId)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return pattern;
  }
}
