package dev.rotor.pki;

import java.util.List;

/**
 * The name constraints an intermediate CA carries (RFC 5280 §4.2.1.10): SPIFFE IDs only in one
 * trust domain, DNS names only under the permitted suffixes. IP addresses are not constrained.
 *
 * <p>An empty suffix list adds no dNSName subtree, which leaves DNS names unconstrained by the
 * certificate (RFC 5280 has no portable way to permit none); {@link NamePolicy} then refuses every
 * DNS name, because none is under a permitted suffix.
 *
 * @param trustDomain the only host permitted in URI names
 * @param permittedDnsSuffixes the permitted DNS subtrees
 */
public record NameConstraintsSpec(String trustDomain, List<String> permittedDnsSuffixes) {

  /** Validates the trust domain and suffixes and copies the list. */
  public NameConstraintsSpec {
    SpiffeId.of(trustDomain, "");
    permittedDnsSuffixes = List.copyOf(permittedDnsSuffixes);
    for (String suffix : permittedDnsSuffixes) {
      String problem = NamePolicy.dnsSyntaxProblem(suffix);
      if (problem != null) {
        throw new IllegalArgumentException("permitted DNS suffix \"" + suffix + "\" " + problem);
      }
    }
  }
}
