package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {

  @Test
  void defaults_run_a_local_ca() {
    ServerConfig c = ServerConfig.fromMap(Map.of());
    assertThat(c.httpsPort()).isEqualTo(8443);
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.bind()).isEqualTo("0.0.0.0");
    assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(c.dbUrl()).isEmpty();
    assertThat(c.trustDomain()).isEqualTo("rotor.local");
    assertThat(c.permittedDns()).containsExactly("svc.cluster.local", "localhost");
    assertThat(c.publicHttpUrl()).isEqualTo("http://localhost:8080");
    assertThat(c.profiles()).containsKeys("workload", "agent", "acme", "admin");
    assertThat(c.profiles().get("workload").maxTtl()).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void yaml_then_env_with_env_winning(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("rotor.yaml");
    Files.writeString(yaml, """
        httpsPort: 9443
        ROTOR_TRUST_DOMAIN: Example.ORG
        permitted-dns: [svc.cluster.local, corp.internal]
        profiles:
          workload: {defaultTtl: 5s, minTtl: 2s, maxTtl: 10s}
          short: {base: agent, minTtl: 10s, maxTtl: 30s}
        """);
    ServerConfig c = ServerConfig.load(new String[] {"--config", yaml.toString()},
        Map.of("ROTOR_HTTPS_PORT", "10443", "ROTOR_HOSTNAMES", "ca.corp.internal, 10.0.0.5", "PATH", "/bin"));
    assertThat(c.httpsPort()).isEqualTo(10443);
    assertThat(c.trustDomain()).isEqualTo("example.org");
    assertThat(c.permittedDns()).containsExactly("svc.cluster.local", "corp.internal");
    assertThat(c.hostnames()).containsExactly("ca.corp.internal", "10.0.0.5");
    assertThat(c.publicHttpUrl()).isEqualTo("http://ca.corp.internal:8080");
    assertThat(c.profiles().get("workload").defaultTtl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.profiles().get("short").maxTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.profiles().get("short").spiffePathPrefix()).isEqualTo("/agent/");
  }

  @Test
  void unknown_environment_variables_are_ignored_but_unknown_file_keys_fail(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    ServerConfig c = ServerConfig.load(new String[0], Map.of("ROTOR_AGENT_CONFIG", "/etc/agent.yaml", "ROTOR_CRYPTO_PROVIDER", "bc",
        "ROTOR_HTTP_PORT", "9080"));
    assertThat(c.httpPort()).isEqualTo(9080);
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "httpsProt: 1\n");
    assertThatThrownBy(() -> ServerConfig.load(new String[] {"--config", yaml.toString()}, Map.of()))
        .hasMessageContaining("unknown configuration key httpsprot");
  }

  @Test
  void secrets_never_appear_in_to_string() {
    ServerConfig c = ServerConfig.fromMap(Map.of("ROTOR_ADMIN_TOKEN", "rotor_supersecret", "ROTOR_CA_PASSPHRASE", "hunter2",
        "ROTOR_DB_PASSWORD", "pgsecret"));
    assertThat(c.toString()).doesNotContain("supersecret", "hunter2", "pgsecret");
  }

  @Test
  void parses_durations() {
    assertThat(ServerConfig.parseDuration("900")).isEqualTo(Duration.ofSeconds(900));
    assertThat(ServerConfig.parseDuration("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(ServerConfig.parseDuration("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(ServerConfig.parseDuration("365d")).isEqualTo(Duration.ofDays(365));
    assertThat(ServerConfig.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(ServerConfig.parseDuration("PT15M")).isEqualTo(Duration.ofMinutes(15));
    assertThatThrownBy(() -> ServerConfig.parseDuration("soon")).hasMessageContaining("not a duration");
  }

  @Test
  void rejects_bad_settings_with_a_clear_message() {
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_HTTPS_PROT", "1"))).hasMessageContaining("unknown configuration key");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_HTTPS_PORT", "70000"))).hasMessageContaining("0..65535");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CRL_VALIDITY", "2h"))).hasMessageContaining("1m and 1h");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CA_KEY_ALGORITHM", "dsa"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("profiles", Map.of("x", Map.of("base", "nope")))))
        .hasMessageContaining("unknown base profile");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("profiles", Map.of("workload", Map.of("minTtl", "20m")))))
        .hasMessageContaining("minTtl <= defaultTtl <= maxTtl");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("profiles", Map.of("workload", Map.of("maxTTl2", "20m")))))
        .hasMessageContaining("unknown setting");
  }

  @Test
  void permitted_ip_ranges_server_wide_and_per_profile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    ServerConfig none = ServerConfig.fromMap(Map.of());
    assertThat(none.permittedIps()).isEmpty();
    assertThat(none.acme().permittedIps()).isEmpty();
    assertThat(none.profiles().values()).allSatisfy(p -> assertThat(p.permittedIps()).isEmpty());
    assertThat(ServerConfig.fromMap(Map.of("ROTOR_PERMITTED_IPS", "")).permittedIps()).isEmpty();

    Path yaml = dir.resolve("rotor.yaml");
    Files.writeString(yaml, """
        permittedIps: 10.0.0.0/8
        acmePermittedIps: [10.1.0.0/16]
        profiles:
          acme: {permittedIps: [192.168.0.0/16, "FD00::/8"]}
          lab: {base: acme, maxTtl: 2h}
          edge: {base: acme, permittedIps: 203.0.113.0/24}
        """);
    ServerConfig c = ServerConfig.load(new String[] {"--config", yaml.toString()},
        Map.of("ROTOR_PERMITTED_IPS", "10.0.0.0/8, fd00::/8"));
    assertThat(c.permittedIps()).extracting(Object::toString).containsExactly("10.0.0.0/8", "fd00::/8");
    assertThat(c.acme().permittedIps()).extracting(Object::toString).containsExactly("10.1.0.0/16");
    assertThat(c.profiles().get("acme").permittedIps()).extracting(Object::toString).containsExactly("192.168.0.0/16", "fd00::/8");
    assertThat(c.profiles().get("lab").permittedIps()).isEqualTo(c.profiles().get("acme").permittedIps());
    assertThat(c.profiles().get("edge").permittedIps()).extracting(Object::toString).containsExactly("203.0.113.0/24");
    assertThat(c.profiles().get("workload").permittedIps()).isEmpty();
    assertThat(c.toString()).contains("permittedIps=[10.0.0.0/8, fd00::/8]");
  }

  @Test
  void refuses_bad_ip_ranges_naming_the_key() {
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_PERMITTED_IPS", "10.0.0.0/8,10.1.0.0/8")))
        .hasMessage("ROTOR_PERMITTED_IPS: \"10.1.0.0/8\" is not an IP range: host bits are set below /8 (the range would be 10.0.0.0/8)");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_ACME_PERMITTED_IPS", "corp.example/8")))
        .hasMessageStartingWith("ROTOR_ACME_PERMITTED_IPS: \"corp.example/8\" is not an IP range");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("profiles", Map.of("acme", Map.of("permittedIps", java.util.List.of("10.0.0.0/33"))))))
        .hasMessageStartingWith("profiles.acme.permittedIps: \"10.0.0.0/33\" is not an IP range");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("profiles", Map.of("acme", Map.of("permittedIps", java.util.List.of())))))
        .hasMessageContaining("profiles.acme.permittedIps: list at least one range");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("profiles", Map.of("workload", Map.of("permittedIps", "10.0.0.0/8")))))
        .hasMessageContaining("profiles.workload.permittedIps: profile workload does not allow IP addresses");
  }

  @Test
  void agent_settings_default_to_the_chart_names_and_refuse_nonsense() {
    ServerConfig.Agents a = ServerConfig.fromMap(Map.of()).agents();
    assertThat(a.kubernetes()).isEqualTo(ServerConfig.KubernetesMode.AUTO);
    assertThat(a.namespace()).isEqualTo("rotor-system");
    assertThat(a.serviceAccount()).isEqualTo("rotor-agent");
    assertThat(a.audience()).isEqualTo("rotor");
    assertThat(a.staticPolicy()).isEmpty();
    ServerConfig.Agents b = ServerConfig.fromMap(Map.of("ROTOR_KUBERNETES", "off", "agentNamespace", "infra",
        "ROTOR_AGENT_SERVICE_ACCOUNT", "node-agent", "staticPolicy", "/etc/rotor/policy.yaml")).agents();
    assertThat(b.kubernetes()).isEqualTo(ServerConfig.KubernetesMode.OFF);
    assertThat(b.namespace()).isEqualTo("infra");
    assertThat(b.serviceAccount()).isEqualTo("node-agent");
    assertThat(b.staticPolicy()).contains(Path.of("/etc/rotor/policy.yaml"));
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_KUBERNETES", "maybe"))).hasMessageContaining("ROTOR_KUBERNETES");
  }

  @Test
  void crd_controller_settings() {
    ServerConfig.Crd d = ServerConfig.fromMap(Map.of()).crd();
    assertThat(d.mode()).isEqualTo(ServerConfig.KubernetesMode.AUTO);
    assertThat(d.leaseNamespace()).isEqualTo("rotor-system");
    assertThat(d.workers()).isEqualTo(8);
    ServerConfig.Crd c = ServerConfig.fromMap(Map.of("ROTOR_CRD_CONTROLLER", "off", "crdLeaseNamespace", "certs",
        "crd-workers", 2)).crd();
    assertThat(c.mode()).isEqualTo(ServerConfig.KubernetesMode.OFF);
    assertThat(c.leaseNamespace()).isEqualTo("certs");
    assertThat(c.workers()).isEqualTo(2);
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CRD_CONTROLLER", "sometimes"))).hasMessageContaining("ROTOR_CRD_CONTROLLER");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CRD_WORKERS", 0))).hasMessageContaining("ROTOR_CRD_WORKERS");
  }

  @Test
  void crd_controller_on_needs_kubernetes() {
    // Refused before anything starts (the data directory is not even created).
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "rotor-crd-on-" + System.nanoTime());
    assertThatThrownBy(() -> RotorServer.start(ServerConfig.fromMap(Map.of("ROTOR_CRD_CONTROLLER", "on",
        "ROTOR_KUBERNETES", "off", "ROTOR_DATA_DIR", dir.toString()))))
        .hasMessageContaining("ROTOR_CRD_CONTROLLER=on needs the Kubernetes API");
    assertThat(dir).doesNotExist();
  }

  @Test
  void admission_defaults_and_bounds() {
    ServerConfig c = ServerConfig.fromMap(Map.of());
    assertThat(c.admission().gate().maxConcurrent()).isEqualTo(64);
    assertThat(c.admission().gate().maxQueued()).isEqualTo(2_000);
    assertThat(c.admission().gate().maxWait()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.admission().gate().maxRetryAfter()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.admission().acceptQueue()).isEqualTo(1024);
    ServerConfig set = ServerConfig.fromMap(Map.of("ROTOR_ADMISSION_MAX_CONCURRENT", "8", "admissionMaxQueued", "0",
        "ROTOR_ADMISSION_MAX_WAIT", "1s", "ROTOR_ADMISSION_MAX_RETRY_AFTER", "10s", "ROTOR_HTTPS_ACCEPT_QUEUE", "4096"));
    assertThat(set.admission().gate().maxConcurrent()).isEqualTo(8);
    assertThat(set.admission().gate().maxQueued()).isZero();
    assertThat(set.admission().acceptQueue()).isEqualTo(4096);
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_ADMISSION_MAX_CONCURRENT", "0")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_ADMISSION_MAX_WAIT", "0s")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ROTOR_ADMISSION_MAX_WAIT");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_ADMISSION_MAX_RETRY_AFTER", "2h")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ROTOR_ADMISSION_MAX_RETRY_AFTER");
  }
}
