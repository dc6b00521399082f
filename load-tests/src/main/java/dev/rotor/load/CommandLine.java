package dev.rotor.load;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The options of one command as given ({@code --name value} or {@code --name=value}), with the
 * typed readers every command shares. Unknown and repeated options are refused up front.
 */
final class CommandLine {

  private final Map<String, String> given;

  private CommandLine(Map<String, String> given) {
    this.given = given;
  }

  static CommandLine parse(String[] args, Set<String> known) throws UsageException {
    return parse(args, known, Set.of());
  }

  /** As {@link #parse(String[], Set)}, with {@code flags}: options that take no value. */
  static CommandLine parse(String[] args, Set<String> known, Set<String> flags)
      throws UsageException {
    Map<String, String> given = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String name;
      String value;
      int eq = arg.indexOf('=');
      if (flags.contains(arg.substring(2))) {
        name = arg.substring(2);
        value = "true";
      } else if (eq > 0) {
        name = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        name = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new UsageException("--" + name + " needs a value");
        }
        value = args[++i];
      }
      if (!known.contains(name)) {
        throw new UsageException("unknown option --" + name);
      }
      if (given.put(name, value) != null) {
        throw new UsageException("--" + name + " given twice");
      }
    }
    return new CommandLine(given);
  }

  boolean has(String name) {
    return given.containsKey(name);
  }

  String string(String name, String dflt) {
    return given.getOrDefault(name, dflt);
  }

  String required(String name, String fallback) throws UsageException {
    String v = given.getOrDefault(name, fallback);
    if (v == null || v.isBlank()) {
      throw new UsageException("--" + name + " is required");
    }
    return v;
  }

  int integer(String name, int dflt, int min, int max) throws UsageException {
    String v = given.get(name);
    if (v == null) {
      return dflt;
    }
    int n;
    try {
      n = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + ": '" + v + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw new UsageException("--" + name + ": " + n + " is outside " + min + ".." + max);
    }
    return n;
  }

  Duration duration(String name, Duration dflt) throws UsageException {
    String v = given.get(name);
    return v == null ? dflt : DurationArg.parse("--" + name, v);
  }

  <E extends Enum<E>> E choice(String name, Class<E> type, E dflt) throws UsageException {
    String v = given.get(name);
    if (v == null) {
      return dflt;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v)) {
        return e;
      }
    }
    throw new UsageException("--" + name + ": '" + v + "' is not one of "
        + Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
  }

  /** A SPIFFE trust domain (SPIFFE ID spec §2.1: lower-case letters, digits, '.', '-', '_'). */
  String trustDomain() throws UsageException {
    String trustDomain = given.getOrDefault("trust-domain", "rotor.local");
    if (!trustDomain.matches("[a-z0-9._-]+")) {
      throw new UsageException(
          "--trust-domain: '" + trustDomain + "' is not a trust domain (a-z 0-9 . - _)");
    }
    return trustDomain;
  }

  /** The server base URL from {@code --url}, without a trailing slash. */
  String baseUrl(boolean httpsOnly) throws UsageException {
    String url = required("url", null);
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new UsageException("--url: '" + url + "' is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (httpsOnly && !scheme.equals("https")) {
      throw new UsageException("--url: '" + url + "' must start with https://");
    }
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new UsageException("--url: '" + url + "' must start with https:// (or http://)");
    }
    if (uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
      throw new UsageException("--url: '" + url + "' needs a host and no query or fragment");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
