package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.agent.attest.Attestation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {

  @TempDir
  Path dir;

  private Map<String, String> env() throws Exception {
    Path bundle = dir.resolve("ca.pem");
    Files.writeString(bundle, "placeholder");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ROTOR_AGENT_SERVER", "https://ca.example:8443");
    env.put("ROTOR_AGENT_CA_BUNDLE", bundle.toString());
    env.put("ROTOR_AGENT_NODE", "node-a");
    env.put("ROTOR_AGENT_JOIN_TOKEN", "s3cret-join-token");
    env.put("ROTOR_AGENT_DATA_DIR", dir.resolve("data").toString());
    env.put("ROTOR_AGENT_FILE_IDENTITIES",
        "spiffe://rotor.local/ns/payments/sa/api=/run/rotor/api; spiffe://rotor.local/ns/web/sa/front=/run/rotor/front");
    env.put("ROTOR_AGENT_METRICS_PORT", "9191");
    env.put("PATH", "/usr/bin");
    return env;
  }

  @Test
  void runsFromEnvironmentAlone() throws Exception {
    AgentConfig c = AgentConfig.load(new String[0], env());
    assertThat(c.server().toString()).isEqualTo("https://ca.example:8443");
    assertThat(c.node()).contains("node-a");
    assertThat(c.attestation()).isEqualTo(new Attestation.JoinToken("s3cret-join-token"));
    assertThat(c.kubernetes()).isFalse();
    assertThat(c.metricsPort()).isEqualTo(9191);
    assertThat(c.fileIdentities()).containsExactly(
        Map.entry("spiffe://rotor.local/ns/payments/sa/api", Path.of("/run/rotor/api")),
        Map.entry("spiffe://rotor.local/ns/web/sa/front", Path.of("/run/rotor/front")));
    assertThat(c.retryMaxDelay()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.toString()).doesNotContain("s3cret");
    assertThat(c.attestation().toString()).doesNotContain("s3cret");
  }

  @Test
  void environmentOverridesTheYamlFile() throws Exception {
    Path yaml = dir.resolve("agent.yaml");
    Files.writeString(yaml, """
        server: https://from-yaml:8443
        metricsPort: 7000
        resync-interval: 2m
        fileIdentities:
          spiffe://rotor.local/ns/a/sa/b: /tmp/ab
        """);
    Map<String, String> env = env();
    env.remove("ROTOR_AGENT_FILE_IDENTITIES");
    env.remove("ROTOR_AGENT_SERVER");
    AgentConfig c = AgentConfig.load(new String[] {"--config", yaml.toString()}, env);
    assertThat(c.server().getHost()).isEqualTo("from-yaml");
    assertThat(c.metricsPort()).isEqualTo(9191);
    assertThat(c.resyncInterval()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.fileIdentities()).containsEntry("spiffe://rotor.local/ns/a/sa/b", Path.of("/tmp/ab"));
  }

  @Test
  void inKubernetesUsesTheProjectedTokenAndTheDownwardApiNodeName() throws Exception {
    Map<String, String> env = env();
    env.remove("ROTOR_AGENT_JOIN_TOKEN");
    env.remove("ROTOR_AGENT_NODE");
    env.put("NODE_NAME", "worker-7");
    env.put("KUBERNETES_SERVICE_HOST", "10.0.0.1");
    AgentConfig c = AgentConfig.load(new String[0], env);
    assertThat(c.kubernetes()).isTrue();
    assertThat(c.node()).contains("worker-7");
    assertThat(c.attestation()).isEqualTo(new Attestation.ServiceAccountToken(Path.of(AgentConfig.DEFAULT_TOKEN_FILE)));
  }

  @Test
  void reportsEveryProblemAtOnce() {
    Map<String, String> env = Map.of(
        "ROTOR_AGENT_SERVER", "http://plain:80",
        "ROTOR_AGENT_METRICS_PORT", "99999",
        "ROTOR_AGENT_FILE_IDENTITIES", "spiffe://Rotor.local/x=/tmp;nonsense",
        "ROTOR_AGENT_RETRY_MAX_DELAY", "soon",
        "ROTOR_AGENT_KUBERNETES", "off",
        "ROTOR_AGENT_NAMESPACE", "rotor-system");
    assertThatThrownBy(() -> AgentConfig.load(new String[0], env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("ROTOR_AGENT_NAMESPACE")
        .hasMessageContaining("ROTOR_AGENT_SERVER must be an https URL")
        .hasMessageContaining("ROTOR_AGENT_CA_BUNDLE is required")
        .hasMessageContaining("ROTOR_AGENT_METRICS_PORT must be a port number")
        .hasMessageContaining("expected <spiffe-id>=<dir>, got 'nonsense'")
        .hasMessageContaining("upper-case trust domain")
        .hasMessageContaining("ROTOR_AGENT_RETRY_MAX_DELAY: not a duration")
        .hasMessageContaining("outside Kubernetes set ROTOR_AGENT_JOIN_TOKEN");
  }

  @Test
  void anUnknownKeyInTheFileIsAnError() throws Exception {
    Path yaml = dir.resolve("agent.yaml");
    Files.writeString(yaml, "colour: blue\n");
    assertThatThrownBy(() -> AgentConfig.load(new String[] {"--config=" + yaml}, env()))
        .hasMessageContaining("unknown configuration key colour");
  }

  @Test
  void kubernetesWithoutANodeNameIsAnError() throws Exception {
    Map<String, String> env = env();
    env.remove("ROTOR_AGENT_NODE");
    env.put("ROTOR_AGENT_KUBERNETES", "on");
    assertThatThrownBy(() -> AgentConfig.load(new String[0], env)).hasMessageContaining("NODE_NAME");
  }

  @Test
  void unknownArgumentIsAnError() {
    assertThatThrownBy(() -> AgentConfig.load(new String[] {"--verbose"}, Map.of())).hasMessageContaining("usage");
  }
}
