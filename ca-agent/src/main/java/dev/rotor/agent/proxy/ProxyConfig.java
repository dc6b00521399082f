package dev.rotor.agent.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code proxy:} section of the agent's configuration:
 *
 * <pre>
 * proxy:
 *   tlsVersions: [TLSv1.3]          # default; add TLSv1.2 to allow it
 *   handshakeTimeout: 10s
 *   inbound:
 *     - {name: payments-in, listen: "0.0.0.0:15443", backend: "127.0.0.1:8080",
 *        identity: "spiffe://rotor.local/ns/payments/sa/api", allow: ["spiffe://rotor.local/ns/web/*"], http: true}
 *   outbound:
 *     - {name: to-payments, listen: "127.0.0.1:15001", upstream: "payments.svc:15443",
 *        identity: "spiffe://rotor.local/ns/web/sa/frontend", expect: ["spiffe://rotor.local/ns/payments/sa/api"]}
 * </pre>
 */
public record ProxyConfig(List<Inbound> inbound, List<Outbound> outbound, List<String> tlsVersions, Duration handshakeTimeout) {

  /** host:port. */
  public record HostPort(String host, int port) {
    static HostPort parse(String s, String what) {
      int i = s == null ? -1 : s.lastIndexOf(':');
      if (i <= 0 || i == s.length() - 1) {
        throw new IllegalArgumentException(what + ": expected host:port, got " + s);
      }
      String host = s.substring(0, i);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(s.substring(i + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(what + ": bad port in " + s);
      }
      return new HostPort(host, port);
    }

    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** Terminates mTLS as {@code identity}, admits clients whose ID matches {@code allow}, forwards to {@code backend}. */
  public record Inbound(String name, HostPort listen, HostPort backend, String identity, List<IdPattern> allow, boolean http) {}

  /** Accepts local plaintext and originates mTLS as {@code identity} to {@code upstream}, which must match {@code expect}. */
  public record Outbound(String name, HostPort listen, HostPort upstream, String identity, List<IdPattern> expect) {}

  public static final ProxyConfig NONE = new ProxyConfig(List.of(), List.of(), List.of("TLSv1.3"), Duration.ofSeconds(10));

  /** Every SPIFFE ID the listeners present: the agent keeps these fresh. */
  public Set<String> identities() {
    Set<String> ids = new java.util.LinkedHashSet<>();
    inbound.forEach(i -> ids.add(i.identity()));
    outbound.forEach(o -> ids.add(o.identity()));
    return ids;
  }

  /** Parses the section (a YAML mapping); every problem names the listener and the field. */
  public static ProxyConfig parse(Object section) {
    if (section == null) {
      return NONE;
    }
    if (!(section instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException("proxy: expected a mapping with inbound and outbound lists");
    }
    for (Object k : m.keySet()) {
      if (!Set.of("inbound", "outbound", "tlsVersions", "handshakeTimeout").contains(String.valueOf(k))) {
        throw new IllegalArgumentException("proxy: unknown key " + k + " (known: inbound, outbound, tlsVersions, handshakeTimeout)");
      }
    }
    Set<String> names = new HashSet<>();
    List<Inbound> in = new ArrayList<>();
    for (Map<?, ?> l : listeners(m.get("inbound"), "inbound")) {
      known(l, "inbound", Set.of("name", "listen", "backend", "identity", "allow", "http"));
      String name = name(l, names);
      String where = "proxy.inbound " + name;
      in.add(new Inbound(name, HostPort.parse(str(l, "listen", where), where + ".listen"),
          HostPort.parse(str(l, "backend", where), where + ".backend"), identity(l, where),
          patterns(l.get("allow"), where + ".allow"), Boolean.parseBoolean(String.valueOf(l.get("http") == null ? "false" : l.get("http")))));
    }
    List<Outbound> out = new ArrayList<>();
    for (Map<?, ?> l : listeners(m.get("outbound"), "outbound")) {
      known(l, "outbound", Set.of("name", "listen", "upstream", "identity", "expect"));
      String name = name(l, names);
      String where = "proxy.outbound " + name;
      out.add(new Outbound(name, HostPort.parse(str(l, "listen", where), where + ".listen"),
          HostPort.parse(str(l, "upstream", where), where + ".upstream"), identity(l, where),
          patterns(l.get("expect"), where + ".expect")));
    }
    List<String> versions = new ArrayList<>();
    if (m.get("tlsVersions") == null) {
      versions.add("TLSv1.3");
    } else if (m.get("tlsVersions") instanceof List<?> vs && !vs.isEmpty()) {
      for (Object v : vs) {
        String s = String.valueOf(v);
        if (!s.equals("TLSv1.3") && !s.equals("TLSv1.2")) {
          throw new IllegalArgumentException("proxy.tlsVersions: only TLSv1.3 and TLSv1.2 are allowed, not " + s);
        }
        versions.add(s);
      }
    } else {
      throw new IllegalArgumentException("proxy.tlsVersions: expected a list such as [TLSv1.3, TLSv1.2]");
    }
    Duration timeout = m.get("handshakeTimeout") == null ? Duration.ofSeconds(10) : duration(String.valueOf(m.get("handshakeTimeout")));
    return new ProxyConfig(List.copyOf(in), List.copyOf(out), List.copyOf(versions), timeout);
  }

  private static List<Map<?, ?>> listeners(Object o, String what) {
    if (o == null) {
      return List.of();
    }
    if (!(o instanceof List<?> list)) {
      throw new IllegalArgumentException("proxy." + what + ": expected a list of listeners");
    }
    List<Map<?, ?>> result = new ArrayList<>();
    for (Object e : list) {
      if (!(e instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException("proxy." + what + ": each listener is a mapping");
      }
      result.add(map);
    }
    return result;
  }

  private static void known(Map<?, ?> l, String what, Set<String> keys) {
    for (Object k : l.keySet()) {
      if (!keys.contains(String.valueOf(k))) {
        throw new IllegalArgumentException("proxy." + what + ": unknown key " + k + " (known: " + String.join(", ", keys) + ")");
      }
    }
  }

  private static String name(Map<?, ?> l, Set<String> names) {
    String name = l.get("name") == null ? null : String.valueOf(l.get("name"));
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("proxy: every listener needs a name of 1-64 letters, digits, '.', '_' or '-' (got " + name + ")");
    }
    if (!names.add(name)) {
      throw new IllegalArgumentException("proxy: two listeners are named " + name);
    }
    return name;
  }

  private static String str(Map<?, ?> l, String key, String where) {
    Object v = l.get(key);
    if (v == null || String.valueOf(v).isBlank()) {
      throw new IllegalArgumentException(where + ": " + key + " is required");
    }
    return String.valueOf(v);
  }

  private static String identity(Map<?, ?> l, String where) {
    String id = str(l, "identity", where);
    if (!id.startsWith("spiffe://") || id.contains("*")) {
      throw new IllegalArgumentException(where + ".identity: expected a SPIFFE ID, got " + id);
    }
    return id;
  }

  private static List<IdPattern> patterns(Object o, String where) {
    if (!(o instanceof List<?> list) || list.isEmpty()) {
      throw new IllegalArgumentException(where + ": expected a non-empty list of SPIFFE IDs or prefix/* patterns");
    }
    List<IdPattern> result = new ArrayList<>();
    for (Object e : list) {
      try {
        result.add(new IdPattern(String.valueOf(e)));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(where + ": " + ex.getMessage());
      }
    }
    return List.copyOf(result);
  }

  static Duration duration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      if (t.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(t));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("proxy.handshakeTimeout: expected a duration like 10s, got " + s);
    }
  }
}
