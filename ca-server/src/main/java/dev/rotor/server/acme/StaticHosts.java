package dev.rotor.server.acme;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Names answered from configuration instead of DNS ({@code ROTOR_ACME_STATIC_HOSTS}, e.g.
 * {@code *.test=127.0.0.1,ingress.example=10.0.0.5}): for tests, and for clusters whose ingress
 * names resolve only inside. {@code *.suffix} matches every name below the suffix (any depth) and
 * the suffix itself; the first matching entry wins.
 */
public final class StaticHosts {

  private record Entry(String pattern, InetAddress address) {}

  private final List<Entry> entries;
  private final String text;

  private StaticHosts(List<Entry> entries, String text) {
    this.entries = List.copyOf(entries);
    this.text = text;
  }

  /** Parses the configuration value; an address must be an IP literal. */
  public static StaticHosts parse(String text) {
    List<Entry> entries = new ArrayList<>();
    for (String item : text.split(",")) {
      String s = item.trim();
      if (s.isEmpty()) {
        continue;
      }
      int eq = s.indexOf('=');
      if (eq <= 0 || eq == s.length() - 1) {
        throw new IllegalArgumentException("ROTOR_ACME_STATIC_HOSTS: expected name=address, got " + s);
      }
      String pattern = s.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String address = s.substring(eq + 1).trim();
      if (!address.matches("[0-9a-fA-F:.]+")) {
        throw new IllegalArgumentException("ROTOR_ACME_STATIC_HOSTS: " + address + " is not an IP address");
      }
      try {
        entries.add(new Entry(pattern, InetAddress.getByName(address)));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("ROTOR_ACME_STATIC_HOSTS: " + address + " is not an IP address");
      }
    }
    return new StaticHosts(entries, text);
  }

  public Optional<InetAddress> lookup(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (Entry e : entries) {
      if (e.pattern().startsWith("*.")) {
        String suffix = e.pattern().substring(2);
        if (n.equals(suffix) || n.endsWith("." + suffix)) {
          return Optional.of(e.address());
        }
      } else if (n.equals(e.pattern())) {
        return Optional.of(e.address());
      }
    }
    return Optional.empty();
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  @Override
  public String toString() {
    return text;
  }
}
