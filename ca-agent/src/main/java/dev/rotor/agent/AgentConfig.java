package dev.rotor.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotor.agent.attest.Attestation;
import dev.rotor.agent.proxy.ProxyConfig;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.SpiffeId;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * The agent's typed configuration: a YAML file ({@code --config}) overridden by
 * {@code ROTOR_AGENT_*} environment variables. Keys match loosely, as the server's do:
 * {@code ROTOR_AGENT_DATA_DIR}, {@code dataDir} and {@code data-dir} are one key. Every problem is
 * collected into one {@link IllegalArgumentException} so a bad config is fixed in one go. An
 * unknown key in the file is an error (a typo must not pass silently); an unknown
 * {@code ROTOR_AGENT_*} environment variable is only logged, because the server reads
 * {@code ROTOR_AGENT_NAMESPACE}, {@code ROTOR_AGENT_SERVICE_ACCOUNT} and
 * {@code ROTOR_AGENT_AUDIENCE} from what may be the same environment.
 *
 * @param server the server's base URL (https)
 * @param caBundle PEM file with the CA certificates trusted to reach the server the first time
 * @param node this node's name (Kubernetes: env {@code NODE_NAME} from the downward API)
 * @param attestation how the agent bootstraps
 * @param dataDir the agent's own key, certificate and bundle
 * @param fileIdentities SPIFFE ID → directory for the file sink
 * @param kubernetes whether to manage Secrets through the in-cluster (or kubeconfig) API
 * @param proxy the data-plane proxy's listeners (the YAML {@code proxy:} section; none by default)
 * @param secretNamespaces namespaces whose Secrets the agent watches; empty = every namespace
 */
public record AgentConfig(
    URI server,
    Path caBundle,
    Optional<String> node,
    Attestation attestation,
    Path dataDir,
    Map<String, Path> fileIdentities,
    int metricsPort,
    String bind,
    boolean kubernetes,
    Duration resyncInterval,
    Duration retryInitialDelay,
    Duration retryMaxDelay,
    Duration deniedRetry,
    Duration requestTimeout,
    ProxyConfig proxy,
    List<String> secretNamespaces) {

  /** Every key, in its environment spelling, with its meaning and default (the README's table). */
  public static final Map<String, String> KEYS = keys();

  /** Where Kubernetes projects the agent's audience-bound ServiceAccount token by default. */
  public static final String DEFAULT_TOKEN_FILE = "/var/run/secrets/tokens/rotor-token";

  private static Map<String, String> keys() {
    Map<String, String> k = new LinkedHashMap<>();
    k.put("ROTOR_AGENT_SERVER", "https URL of the Rotor server (required)");
    k.put("ROTOR_AGENT_CA_BUNDLE", "PEM file of CA certificates trusted to reach the server the first time (required)");
    k.put("ROTOR_AGENT_NODE", "node name; in Kubernetes defaults to env NODE_NAME (required there)");
    k.put("ROTOR_AGENT_JOIN_TOKEN", "single-use join token (outside Kubernetes); unset = ServiceAccount token");
    k.put("ROTOR_AGENT_TOKEN_FILE", "projected ServiceAccount token (audience rotor): " + DEFAULT_TOKEN_FILE);
    k.put("ROTOR_AGENT_DATA_DIR", "the agent's own key, certificate and bundle: ./agent-data");
    k.put("ROTOR_AGENT_FILE_IDENTITIES", "file sink: <spiffe-id>=<dir> pairs separated by ';'");
    k.put("ROTOR_AGENT_METRICS_PORT", "port of /metrics and /healthz: 9090 (0 = any free port)");
    k.put("ROTOR_AGENT_BIND", "address the metrics port binds to: 0.0.0.0");
    k.put("ROTOR_AGENT_KUBERNETES", "auto (in-cluster when KUBERNETES_SERVICE_HOST is set), on, off: auto");
    k.put("ROTOR_AGENT_RESYNC_INTERVAL", "periodic re-check of every managed Secret: 60s");
    k.put("ROTOR_AGENT_RETRY_INITIAL_DELAY", "first retry delay after a failure (doubles each time): 1s");
    k.put("ROTOR_AGENT_RETRY_MAX_DELAY", "cap of the retry delay: 30s");
    k.put("ROTOR_AGENT_DENIED_RETRY", "wait after the server refused an identity (403) before asking again: 60s");
    k.put("ROTOR_AGENT_REQUEST_TIMEOUT", "connect and request timeout towards the server: 10s");
    k.put("ROTOR_AGENT_SECRET_NAMESPACES", "namespaces whose Secrets the agent manages, separated by ','; unset = every namespace");
    return java.util.Collections.unmodifiableMap(k);
  }

  /**
   * Reads {@code --config <file>} from {@code args} (if given), then applies {@code env}.
   *
   * @throws IllegalArgumentException with every problem found
   */
  public static AgentConfig load(String[] args, Map<String, String> env) {
    Map<String, Object> values = new LinkedHashMap<>();
    if (args.length == 0 && env.get("ROTOR_AGENT_CONFIG") != null && !env.get("ROTOR_AGENT_CONFIG").isBlank()) {
      values.putAll(readYaml(Path.of(env.get("ROTOR_AGENT_CONFIG"))));
    }
    for (int i = 0; i < args.length; i++) {
      String file;
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = args[++i];
      } else if (args[i].startsWith("--config=")) {
        file = args[i].substring("--config=".length());
      } else {
        throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: rotor-agent.jar [--config agent.yaml])");
      }
      values.putAll(readYaml(Path.of(file)));
    }
    List<String> known = KEYS.keySet().stream().map(AgentConfig::normalize).toList();
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!e.getKey().startsWith("ROTOR_AGENT_") || e.getKey().equals("ROTOR_AGENT_CONFIG")) {
        continue;
      }
      if (known.contains(normalize(e.getKey()))) {
        values.put(e.getKey(), e.getValue());
      } else {
        // The server reads ROTOR_AGENT_NAMESPACE and friends from a shared environment: note, do not fail.
        LoggerFactory.getLogger(AgentConfig.class).warn("ignoring unknown environment variable {}", e.getKey());
      }
    }
    Map<String, String> other = new LinkedHashMap<>();
    for (String name : List.of("NODE_NAME", "KUBERNETES_SERVICE_HOST")) {
      if (env.containsKey(name)) {
        other.put(name, env.get(name));
      }
    }
    return fromMap(values, other);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readYaml(Path file) {
    try {
      Object parsed = new ObjectMapper(new YAMLFactory()).readValue(Files.readString(file), Object.class);
      if (parsed == null) {
        return Map.of();
      }
      if (!(parsed instanceof Map)) {
        throw new IllegalArgumentException(file + ": the configuration must be a YAML mapping");
      }
      return (Map<String, Object>) parsed;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the configuration file " + file + ": " + e.getMessage());
    }
  }

  /**
   * Builds the configuration from loosely-keyed values.
   *
   * @param environment {@code NODE_NAME} and {@code KUBERNETES_SERVICE_HOST} when set
   */
  public static AgentConfig fromMap(Map<String, ?> raw, Map<String, String> environment) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> v = new LinkedHashMap<>();
    List<String> known = KEYS.keySet().stream().map(AgentConfig::normalize).toList();
    Object proxySection = null;
    for (Map.Entry<String, ?> e : raw.entrySet()) {
      if (normalize(e.getKey()).equals("proxy")) {
        proxySection = e.getValue();
      }
    }
    raw.forEach((k, val) -> {
      String n = normalize(k);
      if (n.equals("proxy")) {
        return; // the proxy section, parsed below
      }
      if (!known.contains(n)) {
        problems.add("unknown configuration key " + k);
      } else if (val != null && !val.toString().isBlank()) {
        v.put(n, val);
      }
    });

    URI server = null;
    Optional<String> serverText = string(v, "server");
    if (serverText.isEmpty()) {
      problems.add("ROTOR_AGENT_SERVER is required (the https URL of the Rotor server)");
    } else {
      try {
        server = URI.create(serverText.get());
        if (!"https".equalsIgnoreCase(server.getScheme()) || server.getHost() == null) {
          problems.add("ROTOR_AGENT_SERVER must be an https URL with a host, got " + serverText.get());
        }
      } catch (IllegalArgumentException e) {
        problems.add("ROTOR_AGENT_SERVER is not a URL: " + serverText.get());
      }
    }

    Path caBundle = string(v, "cabundle").map(Path::of).orElse(null);
    if (caBundle == null) {
      problems.add("ROTOR_AGENT_CA_BUNDLE is required (the PEM file trusted to reach the server)");
    } else if (!Files.isReadable(caBundle)) {
      problems.add("ROTOR_AGENT_CA_BUNDLE " + caBundle + " is not a readable file");
    }

    boolean kubernetes = false;
    String mode = string(v, "kubernetes").orElse("auto").toLowerCase(Locale.ROOT);
    switch (mode) {
      case "auto" -> kubernetes = environment.containsKey("KUBERNETES_SERVICE_HOST");
      case "on", "true" -> kubernetes = true;
      case "off", "false" -> kubernetes = false;
      default -> problems.add("ROTOR_AGENT_KUBERNETES must be auto, on or off, got " + mode);
    }

    Optional<String> node = string(v, "node").or(() -> Optional.ofNullable(environment.get("NODE_NAME")))
        .filter(s -> !s.isBlank());
    if (kubernetes && node.isEmpty()) {
      problems.add("in Kubernetes the node name is required: set NODE_NAME from the downward API (spec.nodeName) or ROTOR_AGENT_NODE");
    }
    if (node.isPresent() && !node.get().matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
      problems.add("ROTOR_AGENT_NODE must be a DNS-label-like name, got " + node.get());
    }

    Attestation attestation;
    Optional<String> joinToken = string(v, "jointoken");
    Optional<String> tokenFile = string(v, "tokenfile");
    if (joinToken.isPresent()) {
      attestation = new Attestation.JoinToken(joinToken.get());
    } else {
      attestation = new Attestation.ServiceAccountToken(Path.of(tokenFile.orElse(DEFAULT_TOKEN_FILE)));
      if (!kubernetes && tokenFile.isEmpty()) {
        problems.add("outside Kubernetes set ROTOR_AGENT_JOIN_TOKEN (a join token from POST /api/v1/join-tokens)");
      }
    }

    Map<String, Path> files = fileIdentities(v.get("fileidentities"), problems);
    int metricsPort = port(v, "metricsport", 9090, problems);
    Duration resync = duration(v, "resyncinterval", Duration.ofSeconds(60), problems);
    Duration initial = duration(v, "retryinitialdelay", Duration.ofSeconds(1), problems);
    Duration max = duration(v, "retrymaxdelay", Duration.ofSeconds(30), problems);
    if (initial.compareTo(max) > 0) {
      problems.add("ROTOR_AGENT_RETRY_INITIAL_DELAY must not exceed ROTOR_AGENT_RETRY_MAX_DELAY");
    }
    Duration denied = duration(v, "deniedretry", Duration.ofSeconds(60), problems);
    Duration timeout = duration(v, "requesttimeout", Duration.ofSeconds(10), problems);
    ProxyConfig proxy = ProxyConfig.NONE;
    try {
      proxy = ProxyConfig.parse(proxySection);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }

    List<String> namespaces = new ArrayList<>();
    Object ns = v.get("secretnamespaces");
    if (ns != null) {
      for (Object o : ns instanceof List<?> l ? l : List.of(ns.toString().split(","))) {
        String n = String.valueOf(o).trim();
        if (n.isEmpty()) {
          continue;
        }
        if (!n.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || n.length() > 63) {
          problems.add("ROTOR_AGENT_SECRET_NAMESPACES: not a namespace name: " + n);
        } else if (!namespaces.contains(n)) {
          namespaces.add(n);
        }
      }
    }

    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid agent configuration:\n  - " + String.join("\n  - ", problems));
    }
    return new AgentConfig(server, caBundle, node, attestation, Path.of(string(v, "datadir").orElse("./agent-data")),
        files, metricsPort, string(v, "bind").orElse("0.0.0.0"), kubernetes, resync, initial, max, denied, timeout, proxy,
        List.copyOf(namespaces));
  }

  private static Map<String, Path> fileIdentities(Object value, List<String> problems) {
    Map<String, Path> out = new LinkedHashMap<>();
    if (value == null) {
      return out;
    }
    Map<String, String> pairs = new LinkedHashMap<>();
    if (value instanceof Map<?, ?> m) {
      m.forEach((k, d) -> pairs.put(String.valueOf(k), String.valueOf(d)));
    } else {
      for (String pair : value.toString().split(";")) {
        if (pair.isBlank()) {
          continue;
        }
        // The SPIFFE ID has no '=', so the first one separates it from the directory.
        int eq = pair.indexOf('=');
        if (eq <= 0 || eq == pair.length() - 1) {
          problems.add("ROTOR_AGENT_FILE_IDENTITIES: expected <spiffe-id>=<dir>, got '" + pair.trim() + "'");
          continue;
        }
        pairs.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    pairs.forEach((id, dir) -> {
      try {
        out.put(SpiffeId.parse(id).toString(), Path.of(dir));
      } catch (PkiException e) {
        problems.add("ROTOR_AGENT_FILE_IDENTITIES: " + e.getMessage());
      }
    });
    return out;
  }

  static String normalize(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith("rotor_agent_")) {
      k = k.substring("rotor_agent_".length());
    }
    return k.replace("_", "").replace("-", "");
  }

  private static Optional<String> string(Map<String, Object> v, String key) {
    Object o = v.get(key);
    return o == null || o.toString().isBlank() ? Optional.empty() : Optional.of(o.toString().trim());
  }

  private static int port(Map<String, Object> v, String key, int def, List<String> problems) {
    Optional<String> s = string(v, key);
    if (s.isEmpty()) {
      return def;
    }
    try {
      int n = Integer.parseInt(s.get());
      if (n >= 0 && n <= 65535) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problems.add("ROTOR_AGENT_METRICS_PORT must be a port number 0..65535, got " + s.get());
    return def;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

  /** Parses {@code 500ms}, {@code 30}, {@code 30s}, {@code 5m}, {@code 1h}. */
  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: " + text + " (examples: 500ms, 30s, 5m)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "s" : m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
  }

  private static Duration duration(Map<String, Object> v, String key, Duration def, List<String> problems) {
    Optional<String> s = string(v, key);
    if (s.isEmpty()) {
      return def;
    }
    try {
      Duration d = parseDuration(s.get());
      if (d.isZero()) {
        problems.add(envName(key) + " must be positive");
        return def;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problems.add(envName(key) + ": " + e.getMessage());
      return def;
    }
  }

  private static String envName(String normalized) {
    return KEYS.keySet().stream().filter(k -> normalize(k).equals(normalized)).findFirst().orElse(normalized);
  }

  @Override
  public String toString() {
    // The join token is a secret: the record's default toString would print it.
    return "AgentConfig[server=" + server + ", node=" + node.orElse("?") + ", attestation=" + attestation.method()
        + ", dataDir=" + dataDir + ", fileIdentities=" + fileIdentities.keySet() + ", metricsPort=" + metricsPort
        + ", kubernetes=" + kubernetes + "]";
  }
}
