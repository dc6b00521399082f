package dev.rotor.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotor.pki.IpRange;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.NameForm;
import dev.rotor.pki.Profile;
import dev.rotor.server.acme.AcmeSettings;
import dev.rotor.server.acme.StaticHosts;
import dev.rotor.server.api.AdmissionGate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.LoggerFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's typed configuration: defaults that run a working CA locally, overridden by a YAML
 * file ({@code --config}) and then by {@code ROTOR_*} environment variables (env wins).
 *
 * <p>Keys are matched loosely so that the YAML file can use the environment names or camelCase:
 * {@code ROTOR_HTTPS_PORT}, {@code httpsPort} and {@code https-port} are the same key.
 */
public record ServerConfig(
    int httpsPort,
    int httpPort,
    String bind,
    Path dataDir,
    Optional<String> dbUrl,
    Optional<String> dbUser,
    Optional<String> dbPassword,
    int dbPoolSize,
    String trustDomain,
    List<String> permittedDns,
    List<IpRange> permittedIps,
    List<String> hostnames,
    Optional<String> adminToken,
    Optional<String> caPassphrase,
    Optional<Path> caCert,
    Optional<Path> caKey,
    KeyAlgorithm caKeyAlgorithm,
    Optional<Pkcs11> pkcs11,
    Duration rootTtl,
    Duration intermediateTtl,
    Duration serverCertTtl,
    Duration crlValidity,
    Optional<String> explicitPublicHttpUrl,
    Map<String, Profile> profiles,
    Agents agents,
    Crd crd,
    AcmeSettings acme,
    Duration uiSessionIdle,
    Duration precertGrace,
    Duration caRotationPoll,
    Admission admission) {

  /**
   * A PKCS#11 token holding the CA keys (generated there, never extractable).
   *
   * @param library the PKCS#11 module
   * @param slot the slot id; empty = the first slot with a token
   * @param pin the user PIN (never printed)
   */
  public record Pkcs11(Path library, Optional<Long> slot, String pin) {
    @Override
    public String toString() {
      return "Pkcs11[library=" + library + ", slot=" + slot.map(String::valueOf).orElse("first") + "]";
    }
  }

  /** How Kubernetes is used. */
  public enum KubernetesMode { AUTO, ON, OFF }

  /**
   * What the agent API accepts.
   *
   * @param kubernetes whether to use the Kubernetes API (TokenReview attestation, pod informer)
   * @param namespace namespace of the agents' ServiceAccount
   * @param serviceAccount name of the agents' ServiceAccount
   * @param audience audience the agents' projected tokens must carry
   * @param staticPolicy YAML file mapping join-token nodes to the workload identities they may obtain
   */
  public record Agents(KubernetesMode kubernetes, String namespace, String serviceAccount, String audience,
      Optional<Path> staticPolicy) {}

  /**
   * The CertificateRequest controller (Rotor as a cert-manager external issuer).
   *
   * @param mode {@code AUTO}: on whenever the server uses the Kubernetes API; {@code ON}: required
   *     (start fails without the Kubernetes API); {@code OFF}
   * @param leaseNamespace namespace of the Lease that elects the one replica that reconciles
   * @param workers requests reconciled in parallel
   */
  public record Crd(KubernetesMode mode, String leaseNamespace, int workers) {}

  /**
   * Load shedding on the HTTPS port (see docs/architecture.md, "Load shedding").
   *
   * @param gate the admission gate in front of the issuing routes
   * @param acceptQueue the TCP accept backlog of the HTTPS port (connections not yet accepted)
   */
  public record Admission(AdmissionGate.Settings gate, int acceptQueue) {}

  /** Every key the server understands, in its environment spelling, with what it means. */
  public static final Map<String, String> KEYS = keys();

  private static Map<String, String> keys() {
    Map<String, String> k = new LinkedHashMap<>();
    k.put("ROTOR_HTTPS_PORT", "HTTPS port of the API (and UI): 8443");
    k.put("ROTOR_HTTP_PORT", "plain-HTTP port for CRL, OCSP, CA bundle, health and metrics: 8080");
    k.put("ROTOR_BIND", "address both ports bind to: 0.0.0.0");
    k.put("ROTOR_DATA_DIR", "embedded database and generated CA passphrase: ./data");
    k.put("ROTOR_DB_URL", "JDBC URL of an external PostgreSQL; unset = embedded PostgreSQL in the data dir");
    k.put("ROTOR_DB_USER", "user for ROTOR_DB_URL");
    k.put("ROTOR_DB_PASSWORD", "password for ROTOR_DB_URL");
    k.put("ROTOR_DB_POOL_SIZE", "connection pool size: 16");
    k.put("ROTOR_TRUST_DOMAIN", "SPIFFE trust domain: rotor.local");
    k.put("ROTOR_PERMITTED_DNS", "DNS suffixes certificates may name: svc.cluster.local,localhost");
    k.put("ROTOR_PERMITTED_IPS", "CIDR ranges IP SANs must be in, for profiles that allow IPs (a profile's permittedIps replaces them); unset = any unicast address");
    k.put("ROTOR_HOSTNAMES", "extra DNS names (or IPs) in the server's own HTTPS certificate");
    k.put("ROTOR_ADMIN_TOKEN", "first admin API token; unset = generated and printed once at first start");
    k.put("ROTOR_CA_PASSPHRASE", "passphrase encrypting CA keys; unset = generated into <data dir>/ca-passphrase (0600)");
    k.put("ROTOR_CA_CERT", "PEM file: an existing issuing CA certificate (then its chain) to import");
    k.put("ROTOR_CA_KEY", "PEM file: the private key of ROTOR_CA_CERT (encrypted under ROTOR_CA_PASSPHRASE, or plain)");
    k.put("ROTOR_CA_KEY_ALGORITHM", "key algorithm of a generated CA: ec-p256 (default), ec-p384, rsa-3072");
    k.put("ROTOR_CA_PKCS11_LIBRARY", "PKCS#11 module (HSM); set = CA keys are generated in the token, non-extractable, and never in software");
    k.put("ROTOR_CA_PKCS11_SLOT", "slot id of the token; unset = the first slot with a token");
    k.put("ROTOR_CA_PKCS11_PIN", "user PIN of the token (or ROTOR_CA_PKCS11_PIN_FILE)");
    k.put("ROTOR_CA_PKCS11_PIN_FILE", "file holding the user PIN of the token");
    k.put("ROTOR_ROOT_TTL", "lifetime of a generated root: 3650d");
    k.put("ROTOR_INTERMEDIATE_TTL", "lifetime of a generated issuing intermediate; the next one is prepared at 1/2 and takes over at 5/6 of it: 30d");
    k.put("ROTOR_CA_ROTATION_POLL", "how often each replica reads the CA rotation state and the lease holder runs due transitions (100ms to 1m): 5s");
    k.put("ROTOR_SERVER_CERT_TTL", "lifetime of the server's own HTTPS certificate (renewed at 2/3): 24h");
    k.put("ROTOR_CRL_VALIDITY", "CRL nextUpdate - thisUpdate (at most 1h): 1h");
    k.put("ROTOR_CRYPTO_PROVIDER", "bc = pure-Java BouncyCastle instead of the native AWS-LC provider (read by ca-pki at class load)");
    k.put("ROTOR_KUBERNETES", "use the Kubernetes API (agent attestation, pod checks): auto (in a cluster), on, off");
    k.put("ROTOR_AGENT_NAMESPACE", "namespace of the agents' ServiceAccount: rotor-system");
    k.put("ROTOR_AGENT_SERVICE_ACCOUNT", "name of the agents' ServiceAccount: rotor-agent");
    k.put("ROTOR_AGENT_AUDIENCE", "audience of the agents' projected ServiceAccount tokens: rotor");
    k.put("ROTOR_STATIC_POLICY", "YAML file mapping join-token nodes to the workload identities they may obtain");
    k.put("ROTOR_CRD_CONTROLLER", "sign cert-manager CertificateRequests for rotor.dev issuers: auto (when the Kubernetes API is used), on, off");
    k.put("ROTOR_CRD_LEASE_NAMESPACE", "namespace of the Lease electing the replica that runs the CertificateRequest controller: rotor-system");
    k.put("ROTOR_CRD_WORKERS", "CertificateRequests reconciled in parallel: 8");
    k.put("ROTOR_UI_SESSION_IDLE", "admin UI sessions end after this long without use (1m to 12h, default 30m)");
    k.put("ROTOR_PRECERT_GRACE", "an issuance pre-record with no certificate after this long is marked abandoned (1s to 24h, default 5m)");
    k.put("ROTOR_ACME_ENABLED", "serve the ACME directories under /acme/: true");
    k.put("ROTOR_ACME_HTTP01_PORT", "port ACME http-01 validation connects to: 80");
    k.put("ROTOR_ACME_TLSALPN01_PORT", "port ACME tls-alpn-01 validation connects to: 443");
    k.put("ROTOR_ACME_DNS_SERVER", "host:port of the DNS server for ACME validation look-ups; unset = system resolver");
    k.put("ROTOR_ACME_STATIC_HOSTS", "names ACME validation maps to addresses instead of DNS, e.g. *.test=127.0.0.1,ingress.example=10.0.0.5");
    k.put("ROTOR_ACME_PERMITTED_IPS", "CIDR ranges ACME ip identifiers must be in; unset = no ip identifiers");
    k.put("ROTOR_ACME_EAB_REQUIRED", "new ACME accounts need External Account Binding (keys from POST /api/v1/acme/eab): false");
    k.put("ROTOR_ACME_TERMS_OF_SERVICE", "URL ACME clients must agree to; unset = none");
    k.put("ROTOR_ACME_ORDERS_PER_HOUR", "new orders one ACME account may create per clock hour: 300");
    k.put("ROTOR_ACME_PENDING_AUTHORIZATIONS", "pending authorizations one ACME account may hold: 300");
    k.put("ROTOR_ACME_ORDER_LIFETIME", "how long ACME orders and authorizations stay usable: 1h");
    k.put("ROTOR_ADMISSION_MAX_CONCURRENT", "issuing requests (agent attest, renew, workloads/sign; REST issue) handled at once: 64");
    k.put("ROTOR_ADMISSION_MAX_QUEUED", "issuing requests waiting beyond that, soonest-expiring first; more get 429 + Retry-After: 2000");
    k.put("ROTOR_ADMISSION_MAX_WAIT", "the longest an issuing request waits for its turn before 429 + Retry-After: 5s");
    k.put("ROTOR_ADMISSION_MAX_RETRY_AFTER", "the largest Retry-After the server sends when it sheds load: 60s");
    k.put("ROTOR_HTTPS_ACCEPT_QUEUE", "TCP accept backlog of the HTTPS port (the kernel caps it at net.core.somaxconn): 1024");
    k.put("ROTOR_PUBLIC_HTTP_URL", "base URL put in certificates for CRL and OCSP: http://<first hostname or localhost>:<http port>");
    return Map.copyOf(k);
  }

  /** Loads the configuration from {@code --config <file>} (if given in args) and the environment. */
  public static ServerConfig load(String[] args, Map<String, String> env) throws IOException {
    Map<String, Object> values = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        values.putAll(readYaml(Path.of(args[++i])));
      } else if (args[i].startsWith("--config=")) {
        values.putAll(readYaml(Path.of(args[i].substring("--config=".length()))));
      } else {
        throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: rotor-server.jar [--config file.yaml])");
      }
    }
    if (env.containsKey("ROTOR_CONFIG") && args.length == 0) {
      values.putAll(readYaml(Path.of(env.get("ROTOR_CONFIG"))));
    }
    Set<String> known = KEYS.keySet().stream().map(ServerConfig::normalize).collect(java.util.stream.Collectors.toSet());
    env.forEach((k, v) -> {
      if (!k.startsWith("ROTOR_") || k.equals("ROTOR_CONFIG")) {
        return;
      }
      if (known.contains(normalize(k))) {
        values.put(k, v);
      } else {
        // The environment is shared with other Rotor processes (ROTOR_AGENT_*, ...): note, do not fail.
        LoggerFactory.getLogger(ServerConfig.class).warn("ignoring unknown environment variable {}", k);
      }
    });
    return fromMap(values);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readYaml(Path file) throws IOException {
    Object parsed = new ObjectMapper(new YAMLFactory()).readValue(Files.readString(file), Object.class);
    if (parsed == null) {
      return Map.of();
    }
    if (!(parsed instanceof Map)) {
      throw new IllegalArgumentException(file + ": the configuration must be a YAML mapping");
    }
    return (Map<String, Object>) parsed;
  }

  /** Builds the configuration from loosely-keyed values; unknown keys are an error (typos must not pass silently). */
  public static ServerConfig fromMap(Map<String, ?> raw) {
    Map<String, Object> v = new LinkedHashMap<>();
    raw.forEach((k, val) -> v.put(normalize(k), val));
    List<String> known = new ArrayList<>(KEYS.keySet().stream().map(ServerConfig::normalize).toList());
    known.add("profiles");
    for (String key : v.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException("unknown configuration key " + key + " (known: " + String.join(", ", KEYS.keySet()) + ", profiles)");
      }
    }
    int httpsPort = intValue(v, "httpsport", 8443);
    int httpPort = intValue(v, "httpport", 8080);
    List<String> hostnames = listValue(v, "hostnames", List.of());
    Duration crlValidity = duration(v, "crlvalidity", Duration.ofHours(1));
    if (crlValidity.compareTo(Duration.ofHours(1)) > 0 || crlValidity.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new IllegalArgumentException("ROTOR_CRL_VALIDITY must be between 1m and 1h");
    }
    return new ServerConfig(
        httpsPort,
        httpPort,
        string(v, "bind").orElse("0.0.0.0"),
        Path.of(string(v, "datadir").orElse("./data")),
        string(v, "dburl"),
        string(v, "dbuser"),
        string(v, "dbpassword"),
        intValue(v, "dbpoolsize", 16),
        string(v, "trustdomain").orElse("rotor.local").toLowerCase(Locale.ROOT),
        listValue(v, "permitteddns", List.of("svc.cluster.local", "localhost")),
        ipRanges(v, "permittedips", "ROTOR_PERMITTED_IPS"),
        hostnames,
        string(v, "admintoken"),
        string(v, "capassphrase"),
        string(v, "cacert").map(Path::of),
        string(v, "cakey").map(Path::of),
        KeyAlgorithm.parse(string(v, "cakeyalgorithm").orElse("ec-p256")),
        pkcs11(v),
        duration(v, "rootttl", Duration.ofDays(3650)),
        duration(v, "intermediatettl", Duration.ofDays(30)),
        duration(v, "servercertttl", Duration.ofHours(24)),
        crlValidity,
        string(v, "publichttpurl").map(ServerConfig::stripSlash),
        profiles(v.get("profiles")),
        new Agents(
            kubernetesMode(string(v, "kubernetes").orElse("auto"), "ROTOR_KUBERNETES"),
            string(v, "agentnamespace").orElse("rotor-system"),
            string(v, "agentserviceaccount").orElse("rotor-agent"),
            string(v, "agentaudience").orElse("rotor"),
            string(v, "staticpolicy").map(Path::of)),
        new Crd(
            kubernetesMode(string(v, "crdcontroller").orElse("auto"), "ROTOR_CRD_CONTROLLER"),
            string(v, "crdleasenamespace").orElse("rotor-system"),
            positive(intValue(v, "crdworkers", 8), "ROTOR_CRD_WORKERS")),
        acme(v),
        uiSessionIdle(duration(v, "uisessionidle", Duration.ofMinutes(30))),
        precertGrace(duration(v, "precertgrace", Duration.ofMinutes(5))),
        caRotationPoll(duration(v, "carotationpoll", Duration.ofSeconds(5))),
        admission(v));
  }

  private static Duration precertGrace(Duration d) {
    if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(Duration.ofHours(24)) > 0) {
      throw new IllegalArgumentException("ROTOR_PRECERT_GRACE must be between 1s and 24h");
    }
    return d;
  }

  private static Optional<Pkcs11> pkcs11(Map<String, Object> v) {
    Optional<String> library = string(v, "capkcs11library");
    Optional<String> slot = string(v, "capkcs11slot");
    Optional<String> pin = string(v, "capkcs11pin");
    Optional<String> pinFile = string(v, "capkcs11pinfile");
    if (library.isEmpty()) {
      if (slot.isPresent() || pin.isPresent() || pinFile.isPresent()) {
        throw new IllegalArgumentException("ROTOR_CA_PKCS11_SLOT/PIN need ROTOR_CA_PKCS11_LIBRARY");
      }
      return Optional.empty();
    }
    if (string(v, "cacert").isPresent() || string(v, "cakey").isPresent()) {
      throw new IllegalArgumentException("ROTOR_CA_PKCS11_LIBRARY cannot be combined with ROTOR_CA_CERT/ROTOR_CA_KEY:"
          + " an imported key file is a software key");
    }
    if (pin.isPresent() == pinFile.isPresent()) {
      throw new IllegalArgumentException("ROTOR_CA_PKCS11_LIBRARY needs exactly one of ROTOR_CA_PKCS11_PIN and ROTOR_CA_PKCS11_PIN_FILE");
    }
    Optional<Long> slotId;
    try {
      slotId = slot.map(Long::parseLong);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ROTOR_CA_PKCS11_SLOT must be a slot id (a number), got " + slot.get());
    }
    String pinValue;
    if (pin.isPresent()) {
      pinValue = pin.get();
    } else {
      try {
        pinValue = java.nio.file.Files.readString(Path.of(pinFile.get())).strip();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("ROTOR_CA_PKCS11_PIN_FILE " + pinFile.get() + " cannot be read: " + e.getMessage());
      }
    }
    if (pinValue.isEmpty()) {
      throw new IllegalArgumentException("the PKCS#11 PIN is empty");
    }
    return Optional.of(new Pkcs11(Path.of(library.get()), slotId, pinValue));
  }

  private static Admission admission(Map<String, Object> v) {
    AdmissionGate.Settings d = AdmissionGate.Settings.defaults();
    int queued = intValue(v, "admissionmaxqueued", d.maxQueued());
    if (queued < 0) {
      throw new IllegalArgumentException("ROTOR_ADMISSION_MAX_QUEUED must be 0 or more");
    }
    Duration wait = duration(v, "admissionmaxwait", d.maxWait());
    if (wait.isNegative() || wait.isZero() || wait.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("ROTOR_ADMISSION_MAX_WAIT must be more than 0 and at most 1m");
    }
    Duration retry = duration(v, "admissionmaxretryafter", d.maxRetryAfter());
    if (retry.compareTo(Duration.ofSeconds(1)) < 0 || retry.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("ROTOR_ADMISSION_MAX_RETRY_AFTER must be between 1s and 1h");
    }
    return new Admission(new AdmissionGate.Settings(
        positive(v, "admissionmaxconcurrent", d.maxConcurrent()), queued, wait, retry),
        positive(v, "httpsacceptqueue", 1024));
  }

  private static AcmeSettings acme(Map<String, Object> v) {
    AcmeSettings d = AcmeSettings.defaults();
    return new AcmeSettings(
        Boolean.parseBoolean(string(v, "acmeenabled").orElse("true")),
        intValue(v, "acmehttp01port", d.http01Port()),
        intValue(v, "acmetlsalpn01port", d.tlsAlpn01Port()),
        string(v, "acmednsserver"),
        StaticHosts.parse(string(v, "acmestatichosts").orElse("")),
        ipRanges(v, "acmepermittedips", "ROTOR_ACME_PERMITTED_IPS"),
        Boolean.parseBoolean(string(v, "acmeeabrequired").orElse("false")),
        string(v, "acmetermsofservice"),
        positive(v, "acmeordersperhour", d.ordersPerHour()),
        positive(v, "acmependingauthorizations", d.pendingAuthorizations()),
        duration(v, "acmeorderlifetime", d.orderLifetime()));
  }

  private static int positive(Map<String, Object> v, String key, int def) {
    Optional<String> s = string(v, key);
    try {
      int n = s.map(Integer::parseInt).orElse(def);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("configuration key " + key + ": expected a positive number, got " + s.orElse(""));
    }
  }

  private static Duration caRotationPoll(Duration d) {
    if (d.compareTo(Duration.ofMillis(100)) < 0 || d.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("ROTOR_CA_ROTATION_POLL must be between 100ms and 1m");
    }
    return d;
  }

  private static Duration uiSessionIdle(Duration d) {
    if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofHours(12)) > 0) {
      throw new IllegalArgumentException("ROTOR_UI_SESSION_IDLE must be between 1m and 12h");
    }
    return d;
  }

  private static int positive(int value, String key) {
    if (value < 1) {
      throw new IllegalArgumentException(key + " must be at least 1");
    }
    return value;
  }

  private static KubernetesMode kubernetesMode(String s, String key) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "auto" -> KubernetesMode.AUTO;
      case "on", "true" -> KubernetesMode.ON;
      case "off", "false" -> KubernetesMode.OFF;
      default -> throw new IllegalArgumentException(key + " must be auto, on or off");
    };
  }

  /** Returns a copy with the ports actually bound (when 0 was configured). */
  public ServerConfig withPorts(int https, int http) {
    return new ServerConfig(https, http, bind, dataDir, dbUrl, dbUser, dbPassword, dbPoolSize, trustDomain,
        permittedDns, permittedIps, hostnames, adminToken, caPassphrase, caCert, caKey, caKeyAlgorithm, pkcs11, rootTtl,
        intermediateTtl, serverCertTtl, crlValidity, explicitPublicHttpUrl, profiles, agents, crd, acme, uiSessionIdle,
        precertGrace, caRotationPoll, admission);
  }

  /** Base URL of the plain-HTTP port written into certificates: configured, or the first host name and the HTTP port. */
  public String publicHttpUrl() {
    return explicitPublicHttpUrl.orElseGet(() ->
        "http://" + (hostnames.isEmpty() ? "localhost" : hostnames.get(0)) + ":" + httpPort);
  }

  /** Whether a host name entry is an IP literal (IPv4 dotted or anything with ':'), rather than a DNS name. */
  public static boolean isIpLiteral(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }

  /** The DNS names (not IP literals) among {@code ROTOR_HOSTNAMES}. */
  public List<String> dnsHostnames() {
    return hostnames.stream().filter(h -> !isIpLiteral(h)).toList();
  }

  /** Whether the CA is imported from PEM files rather than generated. */
  public boolean importsCa() {
    return caCert.isPresent() || caKey.isPresent();
  }

  @Override
  public String toString() {
    // Never print secrets: the record's default toString would show the token and passphrase.
    return "ServerConfig[httpsPort=" + httpsPort + ", httpPort=" + httpPort + ", bind=" + bind + ", dataDir=" + dataDir
        + ", db=" + dbUrl.orElse("embedded") + ", trustDomain=" + trustDomain + ", permittedDns=" + permittedDns
        + ", permittedIps=" + permittedIps + ", hostnames=" + hostnames + ", profiles=" + profiles.keySet() + "]";
  }

  static String normalize(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith("rotor_")) {
      k = k.substring("rotor_".length());
    }
    return k.replace("_", "").replace("-", "");
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static Optional<String> string(Map<String, Object> v, String key) {
    Object o = v.get(key);
    if (o == null || o.toString().isBlank()) {
      return Optional.empty();
    }
    return Optional.of(o.toString().trim());
  }

  private static int intValue(Map<String, Object> v, String key, int def) {
    Optional<String> s = string(v, key);
    if (s.isEmpty()) {
      return def;
    }
    try {
      int n = Integer.parseInt(s.get());
      if (n < 0 || n > 65535) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("configuration key " + key + ": expected a number 0..65535, got " + s.get());
    }
  }

  private static List<String> listValue(Map<String, Object> v, String key, List<String> def) {
    Object o = v.get(key);
    if (o == null) {
      return def;
    }
    List<String> items = o instanceof List<?> l
        ? l.stream().map(Object::toString).toList()
        : Arrays.asList(o.toString().split(","));
    return items.stream().map(String::trim).filter(s -> !s.isEmpty()).map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }

  /** A list of CIDR ranges; a bad one is refused naming the key and the range. */
  private static List<IpRange> ipRanges(Map<String, Object> v, String key, String name) {
    List<IpRange> out = new ArrayList<>();
    for (String cidr : listValue(v, key, List.of())) {
      try {
        out.add(IpRange.parse(cidr));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + ": " + e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

  /** Parses "900", "900s", "15m", "24h", "365d", "500ms" or ISO-8601 "PT15M". */
  public static Duration parseDuration(String text) {
    String s = text.trim();
    if (s.toUpperCase(Locale.ROOT).startsWith("P")) {
      return Duration.parse(s.toUpperCase(Locale.ROOT));
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: " + text + " (examples: 900s, 15m, 24h, 365d)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  private static Duration duration(Map<String, Object> v, String key, Duration def) {
    Optional<String> s = string(v, key);
    try {
      return s.map(ServerConfig::parseDuration).orElse(def);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("configuration key " + key + ": " + e.getMessage());
    }
  }

  /**
   * The profile table: the four defaults, with TTL bounds (and, where the profile allows IP
   * addresses, its own permitted IP ranges) overridable and new profiles derived from a base, for
   * example {@code profiles: {workload: {defaultTtl: 5s, minTtl: 2s, maxTtl: 10s}, short: {base:
   * workload, maxTtl: 30s}, lab: {base: acme, permittedIps: [192.168.0.0/16]}}}. A derived profile
   * inherits its base's ranges.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Profile> profiles(Object section) {
    Map<String, Profile> result = new LinkedHashMap<>(Profile.defaults());
    if (section == null) {
      return java.util.Collections.unmodifiableMap(result);
    }
    if (!(section instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("profiles: expected a mapping of profile name to settings");
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = e.getKey().toString();
      if (!name.matches("[a-z][a-z0-9-]{0,62}")) {
        throw new IllegalArgumentException("profiles: bad profile name " + name + " (lower-case letters, digits, '-')");
      }
      Map<String, Object> settings = new LinkedHashMap<>();
      if (e.getValue() instanceof Map<?, ?> m) {
        m.forEach((k, val) -> settings.put(normalize(k.toString()), val));
      } else if (e.getValue() != null) {
        throw new IllegalArgumentException("profiles." + name + ": expected a mapping");
      }
      String baseName = string(settings, "base").orElse(name);
      Profile base = result.get(baseName);
      if (base == null) {
        throw new IllegalArgumentException("profiles." + name + ": unknown base profile " + baseName + " (set base: workload|agent|acme|admin)");
      }
      for (String key : settings.keySet()) {
        if (!List.of("base", "defaultttl", "minttl", "maxttl", "permittedips").contains(key)) {
          throw new IllegalArgumentException("profiles." + name + ": unknown setting " + key
              + " (base, defaultTtl, minTtl, maxTtl, permittedIps)");
        }
      }
      Duration min = duration(settings, "minttl", base.minTtl());
      Duration max = duration(settings, "maxttl", base.maxTtl());
      Duration def = duration(settings, "defaultttl", base.defaultTtl().compareTo(max) > 0 ? max : base.defaultTtl());
      if (min.isNegative() || min.isZero() || min.compareTo(max) > 0 || def.compareTo(min) < 0 || def.compareTo(max) > 0) {
        throw new IllegalArgumentException("profiles." + name + ": need 0 < minTtl <= defaultTtl <= maxTtl, got " + min + ", " + def + ", " + max);
      }
      List<IpRange> ranges = base.permittedIps();
      if (settings.containsKey("permittedips")) {
        ranges = ipRanges(settings, "permittedips", "profiles." + name + ".permittedIps");
        if (ranges.isEmpty()) {
          // An empty list could mean "none" or "any": say which explicitly instead.
          throw new IllegalArgumentException("profiles." + name + ".permittedIps: list at least one range"
              + " (leave it out for ROTOR_PERMITTED_IPS; 0.0.0.0/0 and ::/0 allow any address)");
        }
        if (!base.nameForms().contains(NameForm.IP)) {
          throw new IllegalArgumentException("profiles." + name + ".permittedIps: profile " + name
              + " does not allow IP addresses (base it on acme)");
        }
      }
      result.put(name, new Profile(name, base.nameForms(), base.keyTypes(), def, min, max, base.usages(),
          base.spiffePathPrefix(), base.requireSpiffe(), base.maxNames(), ranges));
    }
    return java.util.Collections.unmodifiableMap(result);
  }
}
