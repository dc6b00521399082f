package dev.rotor.pki;

import dev.rotor.pki.PkiException.Problem;
import java.net.IDN;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which names a profile may carry, for one trust domain, a set of permitted DNS suffixes
 * and the permitted IP ranges.
 *
 * <p>Names are refused, never rewritten: an upper-case DNS name or a trailing dot is a violation
 * rather than something quietly canonicalised, so the certificate always carries exactly what was
 * asked for and checked. {@link #violations} reports every problem at once, each a sentence that
 * names the offending name, so a client can fix its request in one round.
 *
 * @param trustDomain the SPIFFE trust domain every SPIFFE ID must belong to
 * @param permittedDnsSuffixes DNS names must equal one of these or end with {@code "." + suffix};
 *     lower-case, no leading or trailing dot
 * @param permittedIps where a profile allows IP addresses and names no ranges of its own
 *     ({@link Profile#permittedIps()}, which replace these), every IP SAN must be in one of these;
 *     empty = any address that names one host (see {@link #ipProblem})
 */
public record NamePolicy(String trustDomain, List<String> permittedDnsSuffixes, List<IpRange> permittedIps) {

  private static final int MAX_DNS_LENGTH = 253;
  private static final int MAX_LABEL_LENGTH = 63;
  private static final int MAX_ECHO = 256;

  /** A policy that leaves IP addresses unrestricted by range. */
  public NamePolicy(String trustDomain, List<String> permittedDnsSuffixes) {
    this(trustDomain, permittedDnsSuffixes, List.of());
  }

  /** Validates the trust domain and the suffixes and copies the lists. */
  public NamePolicy {
    SpiffeId.of(trustDomain, "");
    permittedDnsSuffixes = List.copyOf(permittedDnsSuffixes);
    permittedIps = List.copyOf(permittedIps);
    for (String suffix : permittedDnsSuffixes) {
      String problem = dnsSyntaxProblem(suffix);
      if (problem != null) {
        throw new IllegalArgumentException("permitted DNS suffix \"" + suffix + "\" " + problem);
      }
    }
  }

  /** Every reason {@code names} may not be issued under {@code profile}; empty when they may. */
  public List<String> violations(Profile profile, SubjectNames names) {
    Objects.requireNonNull(profile, "profile");
    List<String> out = new ArrayList<>();
    if (names == null || names.isEmpty()) {
      out.add("the CSR has no subjectAltName");
      return out;
    }
    if (names.size() > profile.maxNames()) {
      out.add("the CSR has " + names.size() + " names; profile " + profile.name() + " allows at most " + profile.maxNames());
    }
    for (String email : names.emails()) {
      out.add("email address \"" + shorten(email) + "\" is not allowed; Rotor does not issue email certificates");
    }

    int spiffeCount = 0;
    Set<URI> seenUris = new HashSet<>();
    for (URI uri : names.uris()) {
      if (!seenUris.add(uri)) {
        out.add("URI \"" + shorten(uri.toString()) + "\" appears more than once");
        continue;
      }
      if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("spiffe")) {
        out.add("URI \"" + shorten(uri.toString()) + "\" is not allowed; the only URI SANs issued are spiffe:// IDs");
        continue;
      }
      spiffeCount++;
      if (!profile.nameForms().contains(NameForm.SPIFFE)) {
        out.add("SPIFFE ID \"" + shorten(uri.toString()) + "\" is not allowed by profile " + profile.name());
        continue;
      }
      spiffeViolation(profile, uri).ifPresent(out::add);
    }
    if (profile.requireSpiffe() && spiffeCount != 1) {
      out.add("profile " + profile.name() + " requires exactly one SPIFFE ID URI SAN; the CSR has " + spiffeCount);
    }

    Set<String> seenDns = new HashSet<>();
    for (String dns : names.dns()) {
      if (!seenDns.add(dns)) {
        out.add("DNS name \"" + shorten(dns) + "\" appears more than once");
        continue;
      }
      if (!profile.nameForms().contains(NameForm.DNS)) {
        out.add("DNS name \"" + shorten(dns) + "\" is not allowed by profile " + profile.name());
        continue;
      }
      String problem = dnsProblem(profile, dns);
      if (problem != null) {
        out.add("DNS name \"" + shorten(dns) + "\" " + problem);
      }
    }

    Set<InetAddress> seenIps = new HashSet<>();
    boolean profileRanges = !profile.permittedIps().isEmpty();
    List<IpRange> ranges = profileRanges ? profile.permittedIps() : permittedIps;
    for (InetAddress ip : names.ips()) {
      if (!seenIps.add(ip)) {
        out.add("IP address " + ip.getHostAddress() + " appears more than once");
        continue;
      }
      if (!profile.nameForms().contains(NameForm.IP)) {
        out.add("IP address " + ip.getHostAddress() + " is not allowed by profile " + profile.name());
        continue;
      }
      String problem = ipProblem(ip);
      if (problem == null && !ranges.isEmpty() && ranges.stream().noneMatch(r -> r.contains(ip))) {
        problem = "is not in a permitted range " + ranges
            + (profileRanges ? " of profile " + profile.name() : "");
      }
      if (problem != null) {
        out.add("IP address " + ip.getHostAddress() + " " + problem);
      }
    }
    return out;
  }

  /**
   * Refuses names with any violation.
   *
   * @throws PkiException {@code REJECTED_NAME} with every violation, joined by {@code "; "}
   */
  public void check(Profile profile, SubjectNames names) throws PkiException {
    List<String> violations = violations(profile, names);
    if (!violations.isEmpty()) {
      throw new PkiException(Problem.REJECTED_NAME, String.join("; ", violations));
    }
  }

  private Optional<String> spiffeViolation(Profile profile, URI uri) {
    SpiffeId id;
    try {
      id = SpiffeId.parse(uri.toString());
    } catch (PkiException e) {
      return Optional.of(e.getMessage());
    }
    String shown = "SPIFFE ID \"" + shorten(id.toString()) + "\"";
    if (!id.trustDomain().equals(trustDomain)) {
      return Optional.of(shown + " is not in trust domain " + trustDomain);
    }
    if (id.path().isEmpty()) {
      return Optional.of(shown + " has no path");
    }
    if (!id.path().startsWith(profile.spiffePathPrefix())) {
      return Optional.of(
          shown + " does not start with " + profile.spiffePathPrefix() + " as profile " + profile.name() + " requires");
    }
    if (profile.spiffePathPrefix().equals(Profile.WORKLOAD_PREFIX)) {
      String[] segments = id.path().substring(1).split("/", -1);
      if (segments.length != 4 || !segments[2].equals("sa")) {
        return Optional.of(shown + " does not have the workload shape /ns/<namespace>/sa/<service account>");
      }
    }
    return Optional.empty();
  }

  /**
   * Addresses that never name one host: unspecified ({@code 0.0.0.0}, {@code ::}), multicast and
   * the limited broadcast address. (An IPv4-mapped IPv6 address cannot get here: the JDK turns it
   * into the IPv4 address when the CSR is read, and that is what is issued.) Null when fine.
   */
  static String ipProblem(InetAddress ip) {
    byte[] a = ip.getAddress();
    if (ip.isAnyLocalAddress()) {
      return "is the unspecified address";
    }
    if (ip.isMulticastAddress()) {
      return "is a multicast address";
    }
    if (a.length == 4 && (a[0] & a[1] & a[2] & a[3]) == (byte) 0xff) {
      return "is the broadcast address";
    }
    return null;
  }

  /** Null when {@code name} is acceptable under {@code profile}, else the rest of a sentence. */
  private String dnsProblem(Profile profile, String name) {
    String base = name;
    if (name.startsWith("*.")) {
      if (!profile.allowsWildcardDns()) {
        return "is a wildcard, which profile " + profile.name() + " does not allow";
      }
      // The rest of a wildcard obeys every rule a plain name does, the suffix rule included.
      base = name.substring(2);
    }
    String problem = dnsSyntaxProblem(base);
    if (problem != null) {
      return problem;
    }
    if (!isUnderPermittedSuffix(base)) {
      return permittedDnsSuffixes.isEmpty()
          ? "is not allowed; no DNS suffixes are permitted"
          : "is not under a permitted suffix " + permittedDnsSuffixes;
    }
    return null;
  }

  /** Suffix match on a label boundary: "evilsvc.cluster.local" is not under "svc.cluster.local". */
  private boolean isUnderPermittedSuffix(String name) {
    for (String suffix : permittedDnsSuffixes) {
      if (name.equals(suffix)
          || (name.length() > suffix.length() + 1
              && name.endsWith(suffix)
              && name.charAt(name.length() - suffix.length() - 1) == '.')) {
        return true;
      }
    }
    return false;
  }

  /**
   * RFC 1035 §2.3.1 preferred name syntax (letters, digits, hyphens; RFC 1123 §2.1 allows a leading
   * digit), lower-case only, with valid IDNA A-labels. Null when fine.
   */
  static String dnsSyntaxProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "is empty";
    }
    if (name.length() > MAX_DNS_LENGTH) {
      return "is longer than " + MAX_DNS_LENGTH + " characters";
    }
    if (name.endsWith(".")) {
      return "must not end with a dot";
    }
    if (name.indexOf('*') >= 0) {
      return "has a '*' that is not a whole leftmost wildcard label";
    }
    if (!name.equals(name.toLowerCase(Locale.ROOT))) {
      return "must be lower-case";
    }
    String[] labels = name.split("\\.", -1);
    for (String label : labels) {
      if (label.isEmpty()) {
        return "has an empty label";
      }
      if (label.length() > MAX_LABEL_LENGTH) {
        return "has a label longer than " + MAX_LABEL_LENGTH + " characters";
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
          return "has a character outside letters, digits and '-'";
        }
      }
      if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
        return "has a label that starts or ends with '-'";
      }
      if (label.startsWith("xn--") && !isValidALabel(label)) {
        return "has an xn-- label that is not valid punycode";
      }
    }
    // RFC 3696 §2: a top-level domain is never all-numeric, so such a name is an IP address.
    String last = labels[labels.length - 1];
    if (last.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return "is an IP address, not a DNS name";
    }
    return null;
  }

  /**
   * An A-label must decode to Unicode and encode back to itself. {@link IDN#toUnicode} never
   * throws (it returns its input unchanged on error), hence the round trip.
   */
  private static boolean isValidALabel(String label) {
    try {
      String unicode = IDN.toUnicode(label, IDN.USE_STD3_ASCII_RULES);
      if (unicode.equals(label)) {
        return false;
      }
      return IDN.toASCII(unicode, IDN.USE_STD3_ASCII_RULES).equals(label);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String shorten(String s) {
    return s.length() > MAX_ECHO ? s.substring(0, MAX_ECHO) + "..." : s;
  }
}
