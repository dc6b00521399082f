package dev.rotor.pki;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The subject alternative names of a request or certificate, by kind.
 *
 * <p>Names are kept exactly as given (no lower-casing, no normalisation): deciding whether a name is
 * acceptable is {@link NamePolicy}'s job, and it refuses rather than rewrites.
 *
 * @param dns dNSName entries
 * @param ips iPAddress entries
 * @param uris uniformResourceIdentifier entries (SPIFFE IDs among them)
 * @param emails rfc822Name entries (never issued today; kept so policy can refuse them by name)
 */
public record SubjectNames(List<String> dns, List<InetAddress> ips, List<URI> uris, List<String> emails) {

  /** Copies every list into an immutable one; a null list is taken as empty. */
  public SubjectNames {
    dns = dns == null ? List.of() : List.copyOf(dns);
    ips = ips == null ? List.of() : List.copyOf(ips);
    uris = uris == null ? List.of() : List.copyOf(uris);
    emails = emails == null ? List.of() : List.copyOf(emails);
  }

  /** Names without email addresses. */
  public static SubjectNames of(List<String> dns, List<InetAddress> ips, List<URI> uris) {
    return new SubjectNames(dns, ips, uris, List.of());
  }

  /** The total number of names of all kinds. */
  public int size() {
    return dns.size() + ips.size() + uris.size() + emails.size();
  }

  /** True when there are no names at all. */
  public boolean isEmpty() {
    return size() == 0;
  }

  /**
   * Every name as a string, for JSON {@code "sans"} and search: DNS names as given, IP addresses by
   * {@link InetAddress#getHostAddress()}, URIs by {@link URI#toString()}, then emails.
   */
  public List<String> asStrings() {
    List<String> all = new ArrayList<>(size());
    all.addAll(dns);
    for (InetAddress ip : ips) {
      all.add(ip.getHostAddress());
    }
    for (URI uri : uris) {
      all.add(uri.toString());
    }
    all.addAll(emails);
    return List.copyOf(all);
  }
}
