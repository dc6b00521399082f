package dev.rotor.pki;

import java.net.URI;

/**
 * A SPIFFE ID ({@code spiffe://<trust domain><path>}) as defined by the SPIFFE ID specification
 * (SPIFFE-ID.md §2).
 *
 * <p>Parsing is by hand, character by character, rather than through {@link URI}: the spec is
 * stricter than RFC 3986 (no percent-encoding, no port, no userinfo, no query, no fragment, only
 * {@code [a-z0-9._-]} in the trust domain and {@code [A-Za-z0-9._-]} in path segments), and each
 * refusal gets its own message.
 *
 * @param trustDomain the trust domain name, lower-case
 * @param path empty (the ID of the trust domain itself) or {@code /segment(/segment)*}
 */
public record SpiffeId(String trustDomain, String path) {

  /** SPIFFE-ID.md §2.3: longer URIs "SHOULD NOT be considered valid"; Rotor refuses them. */
  public static final int MAX_LENGTH = 2048;

  private static final String SCHEME = "spiffe://";
  private static final int MAX_ECHO = 256;

  /** Validates both parts; see {@link #of}. */
  public SpiffeId {
    String problem = trustDomainProblem(trustDomain);
    if (problem == null) {
      problem = pathProblem(path);
    }
    if (problem == null && SCHEME.length() + trustDomain.length() + path.length() > MAX_LENGTH) {
      problem = "is longer than " + MAX_LENGTH + " characters";
    }
    if (problem != null) {
      throw new IllegalArgumentException("invalid SPIFFE ID: " + problem);
    }
  }

  /**
   * Parses a SPIFFE ID.
   *
   * @throws PkiException {@code REJECTED_NAME} with a sentence naming the ID and what is wrong
   */
  public static SpiffeId parse(String uri) throws PkiException {
    if (uri == null || uri.isEmpty()) {
      throw rejected("", "is empty");
    }
    if (uri.length() > MAX_LENGTH) {
      throw rejected(uri, "is longer than " + MAX_LENGTH + " characters");
    }
    if (!uri.startsWith(SCHEME)) {
      if (uri.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
        throw rejected(uri, "must start with the lower-case scheme spiffe://");
      }
      throw rejected(uri, "does not start with spiffe://");
    }
    int tdEnd = uri.indexOf('/', SCHEME.length());
    if (tdEnd < 0) {
      tdEnd = uri.length();
    }
    String td = uri.substring(SCHEME.length(), tdEnd);
    String path = uri.substring(tdEnd);
    String problem = trustDomainProblem(td);
    if (problem == null) {
      problem = pathProblem(path);
    }
    if (problem != null) {
      throw rejected(uri, problem);
    }
    return new SpiffeId(td, path);
  }

  /**
   * Builds a SPIFFE ID from validated parts.
   *
   * @param path empty or starting with {@code /}
   * @throws IllegalArgumentException if either part breaks the SPIFFE ID rules
   */
  public static SpiffeId of(String trustDomain, String path) {
    return new SpiffeId(trustDomain, path);
  }

  /**
   * The SPIFFE ID of an X509-SVID: its one URI SAN (X509-SVID §2 allows exactly one), parsed.
   * Empty when the certificate has no URI SAN, more than one, or one that is not a valid SPIFFE ID.
   */
  public static java.util.Optional<SpiffeId> fromCertificate(java.security.cert.X509Certificate cert) {
    java.util.Collection<java.util.List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (java.security.cert.CertificateParsingException e) {
      return java.util.Optional.empty();
    }
    if (sans == null) {
      return java.util.Optional.empty();
    }
    String uri = null;
    for (java.util.List<?> san : sans) {
      if (Integer.valueOf(6).equals(san.get(0))) {
        if (uri != null) {
          return java.util.Optional.empty();
        }
        uri = String.valueOf(san.get(1));
      }
    }
    if (uri == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(parse(uri));
    } catch (PkiException e) {
      return java.util.Optional.empty();
    }
  }

  /** The ID as a URI. */
  public URI toUri() {
    return URI.create(toString());
  }

  /** {@code spiffe://<trust domain><path>}. */
  @Override
  public String toString() {
    return SCHEME + trustDomain + path;
  }

  private static PkiException rejected(String uri, String problem) {
    String shown = uri.length() > MAX_ECHO ? uri.substring(0, MAX_ECHO) + "..." : uri;
    return new PkiException(PkiException.Problem.REJECTED_NAME, "SPIFFE ID \"" + shown + "\" " + problem);
  }

  private static String trustDomainProblem(String td) {
    if (td == null || td.isEmpty()) {
      return "has an empty trust domain";
    }
    for (int i = 0; i < td.length(); i++) {
      char c = td.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
        continue;
      }
      return switch (c) {
        case ':' -> "must not have a port";
        case '@' -> "must not have userinfo";
        case '?' -> "must not have a query";
        case '#' -> "must not have a fragment";
        case '%' -> "must not contain percent-encoding";
        default -> (c >= 'A' && c <= 'Z')
            ? "has an upper-case trust domain; trust domains are lower-case"
            : "has a trust domain with a character outside [a-z0-9._-]";
      };
    }
    return null;
  }

  private static String pathProblem(String path) {
    if (path == null) {
      return "has a null path";
    }
    if (path.isEmpty()) {
      return null;
    }
    if (path.charAt(0) != '/') {
      return "has a path that does not start with /";
    }
    if (path.endsWith("/")) {
      return "must not end with /";
    }
    int segStart = 1;
    for (int i = 1; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        String seg = path.substring(segStart, i);
        if (seg.isEmpty()) {
          return "has an empty path segment";
        }
        if (seg.equals(".") || seg.equals("..")) {
          return "has a '.' or '..' path segment";
        }
        segStart = i + 1;
        continue;
      }
      char c = path.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-' || c == '_') {
        continue;
      }
      return switch (c) {
        case '?' -> "must not have a query";
        case '#' -> "must not have a fragment";
        case '%' -> "must not contain percent-encoding";
        default -> "has a path character outside [A-Za-z0-9._-]";
      };
    }
    return null;
  }
}
