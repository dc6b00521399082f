package dev.rotor.pki;

import dev.rotor.pki.PkiException.Problem;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a kind of certificate may contain and how long it may live.
 *
 * @param name the profile's name, as clients and configuration refer to it
 * @param nameForms the SAN kinds allowed
 * @param keyTypes the subject key types allowed
 * @param defaultTtl the lifetime when the request names none
 * @param minTtl the shortest lifetime a request may ask for
 * @param maxTtl the longest lifetime a request may ask for
 * @param usages the extended key usages granted
 * @param spiffePathPrefix the prefix every SPIFFE ID path must start with ({@code ""}: any
 *     non-empty path); {@code "/ns/"} additionally requires the shape {@code /ns/<ns>/sa/<sa>}
 * @param requireSpiffe whether exactly one SPIFFE ID URI SAN is required (SPIFFE X509-SVID §2: an
 *     SVID "MUST contain exactly one URI SAN")
 * @param maxNames the most SAN entries a certificate may carry
 * @param permittedIps the ranges IP SANs must be in under this profile, replacing the name policy's
 *     server-wide ranges; empty = the server-wide ranges apply (see {@link NamePolicy})
 */
public record Profile(
    String name,
    Set<NameForm> nameForms,
    Set<KeyType> keyTypes,
    Duration defaultTtl,
    Duration minTtl,
    Duration maxTtl,
    Set<Usage> usages,
    String spiffePathPrefix,
    boolean requireSpiffe,
    int maxNames,
    List<IpRange> permittedIps) {

  /** The path prefix whose IDs must have the Kubernetes workload shape {@code /ns/<ns>/sa/<sa>}. */
  public static final String WORKLOAD_PREFIX = "/ns/";

  /** The most names any certificate carries (CA/B BR-style limit; Let's Encrypt's too). */
  public static final int MAX_NAMES = 100;

  private static final Set<KeyType> ALL_KEYS = EnumSet.allOf(KeyType.class);

  /** A profile without IP ranges of its own. */
  public Profile(String name, Set<NameForm> nameForms, Set<KeyType> keyTypes, Duration defaultTtl, Duration minTtl,
      Duration maxTtl, Set<Usage> usages, String spiffePathPrefix, boolean requireSpiffe, int maxNames) {
    this(name, nameForms, keyTypes, defaultTtl, minTtl, maxTtl, usages, spiffePathPrefix, requireSpiffe, maxNames, List.of());
  }

  /** Validates the bounds ({@code 0 < min <= default <= max}) and copies the sets. */
  public Profile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(spiffePathPrefix, "spiffePathPrefix");
    nameForms = immutable(nameForms, NameForm.class);
    keyTypes = immutable(keyTypes, KeyType.class);
    usages = immutable(usages, Usage.class);
    Objects.requireNonNull(defaultTtl, "defaultTtl");
    Objects.requireNonNull(minTtl, "minTtl");
    Objects.requireNonNull(maxTtl, "maxTtl");
    if (minTtl.isNegative() || minTtl.isZero() || defaultTtl.compareTo(minTtl) < 0 || defaultTtl.compareTo(maxTtl) > 0) {
      throw new IllegalArgumentException(
          "profile " + name + ": need 0 < minTtl <= defaultTtl <= maxTtl, got " + minTtl + ", " + defaultTtl + ", " + maxTtl);
    }
    if (maxNames < 1 || maxNames > MAX_NAMES) {
      throw new IllegalArgumentException("profile " + name + ": maxNames must be 1 to " + MAX_NAMES);
    }
    if (usages.isEmpty()) {
      throw new IllegalArgumentException("profile " + name + ": at least one usage is required");
    }
    if (requireSpiffe && !nameForms.contains(NameForm.SPIFFE)) {
      throw new IllegalArgumentException("profile " + name + ": requireSpiffe needs the SPIFFE name form");
    }
    permittedIps = List.copyOf(permittedIps);
    if (!permittedIps.isEmpty() && !nameForms.contains(NameForm.IP)) {
      throw new IllegalArgumentException("profile " + name + ": permittedIps needs a profile that allows IP addresses");
    }
  }

  /** This profile with its own IP ranges ({@code ranges} empty: the server-wide ones again). */
  public Profile withPermittedIps(List<IpRange> ranges) {
    return new Profile(name, nameForms, keyTypes, defaultTtl, minTtl, maxTtl, usages, spiffePathPrefix, requireSpiffe,
        maxNames, ranges);
  }

  /** Kubernetes workloads: {@code spiffe://<td>/ns/<ns>/sa/<sa>} plus DNS names, 10–15 minutes. */
  public static Profile workload() {
    return new Profile(
        "workload",
        EnumSet.of(NameForm.SPIFFE, NameForm.DNS),
        ALL_KEYS,
        Duration.ofMinutes(15),
        Duration.ofMinutes(10),
        Duration.ofMinutes(15),
        EnumSet.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH),
        WORKLOAD_PREFIX,
        true,
        100);
  }

  /** Node agents: one SPIFFE ID under {@code /agent/}, 10–15 minutes. */
  public static Profile agent() {
    return new Profile(
        "agent",
        EnumSet.of(NameForm.SPIFFE),
        ALL_KEYS,
        Duration.ofMinutes(15),
        Duration.ofMinutes(10),
        Duration.ofMinutes(15),
        EnumSet.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH),
        "/agent/",
        true,
        1);
  }

  /** ACME server certificates: DNS names and IP addresses, 1–24 hours, serverAuth only. */
  public static Profile acme() {
    return new Profile(
        "acme",
        EnumSet.of(NameForm.DNS, NameForm.IP),
        ALL_KEYS,
        Duration.ofHours(24),
        Duration.ofHours(1),
        Duration.ofHours(24),
        EnumSet.of(Usage.SERVER_AUTH),
        "",
        false,
        100);
  }

  /** Administrators: one SPIFFE ID under {@code /admin/}, clientAuth only, 5 minutes to 24 hours. */
  public static Profile admin() {
    return new Profile(
        "admin",
        EnumSet.of(NameForm.SPIFFE),
        ALL_KEYS,
        Duration.ofHours(8),
        Duration.ofMinutes(5),
        Duration.ofHours(24),
        EnumSet.of(Usage.CLIENT_AUTH),
        "/admin/",
        true,
        1);
  }

  /** The four built-in profiles by name, in the order workload, agent, acme, admin. */
  public static Map<String, Profile> defaults() {
    Map<String, Profile> all = new LinkedHashMap<>();
    for (Profile p : new Profile[] {workload(), agent(), acme(), admin()}) {
      all.put(p.name(), p);
    }
    return Collections.unmodifiableMap(all);
  }

  /**
   * The lifetime for a request: the default when {@code ttlSeconds} is null, else the requested
   * value if it lies within {@code [minTtl, maxTtl]}.
   *
   * @throws PkiException {@code BAD_TTL} naming the bound the request is outside of
   */
  public Duration resolveTtl(Integer ttlSeconds) throws PkiException {
    if (ttlSeconds == null) {
      return defaultTtl;
    }
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    if (ttl.compareTo(minTtl) < 0) {
      throw new PkiException(
          Problem.BAD_TTL,
          "ttlSeconds " + ttlSeconds + " is below the minimum " + minTtl.toSeconds() + " of profile " + name);
    }
    if (ttl.compareTo(maxTtl) > 0) {
      throw new PkiException(
          Problem.BAD_TTL,
          "ttlSeconds " + ttlSeconds + " is above the maximum " + maxTtl.toSeconds() + " of profile " + name);
    }
    return ttl;
  }

  /**
   * Checks that the CSR's key type is one this profile allows.
   *
   * @throws PkiException {@code UNSUPPORTED_KEY}
   */
  public void checkKey(CheckedCsr csr) throws PkiException {
    if (!keyTypes.contains(csr.keyType())) {
      throw new PkiException(
          Problem.UNSUPPORTED_KEY, "key type " + csr.keyType() + " is not allowed by profile " + name + "; allowed: " + keyTypes);
    }
  }

  /**
   * Whether a DNS name may be a wildcard ({@code *.} as its whole leftmost label).
   *
   * <p>True for profiles that carry no SPIFFE ID (web-style server certificates such as
   * {@link #acme()}). A SPIFFE profile names one workload, and a wildcard next to its identity would
   * let that workload answer for every name under the suffix.
   */
  public boolean allowsWildcardDns() {
    return nameForms.contains(NameForm.DNS) && !nameForms.contains(NameForm.SPIFFE);
  }

  private static <E extends Enum<E>> Set<E> immutable(Set<E> set, Class<E> type) {
    Objects.requireNonNull(set, type.getSimpleName());
    EnumSet<E> copy = EnumSet.noneOf(type);
    copy.addAll(set);
    return Collections.unmodifiableSet(copy);
  }
}
