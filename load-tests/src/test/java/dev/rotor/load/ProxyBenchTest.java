package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark's proxy JVM must run with what the chart gives the agent, or it measures something else. */
class ProxyBenchTest {

  private static final Path CHART = Path.of("..", "charts", "rotor");

  @Test
  void theProxyJvmRunsWithTheChartsAgentOptionsHeapAndEnvironment() throws Exception {
    JsonNode agent = new ObjectMapper(new YAMLFactory()).readTree(CHART.resolve("values.yaml").toFile()).get("agent");
    String javaOpts = agent.get("javaOpts").asText();
    assertThat(javaOpts.split("\\s+")).contains(ProxyBench.AGENT_JVM_OPTIONS.toArray(new String[0]));

    // -XX:MaxRAMPercentage of the memory limit is the heap the benchmark gives the proxy.
    String limit = agent.get("resources").get("limits").get("memory").asText();
    assertThat(limit).matches("[0-9]+Mi");
    double percent = Double.parseDouble(javaOpts.replaceAll(".*-XX:MaxRAMPercentage=([0-9.]+).*", "$1"));
    long heapMiB = (long) (Long.parseLong(limit.replace("Mi", "")) * percent / 100);
    assertThat(heapMiB + "m").isEqualTo(ProxyBench.AGENT_HEAP);

    String template = Files.readString(CHART.resolve("templates").resolve("agent.yaml"));
    for (Map.Entry<String, String> e : ProxyBench.AGENT_ENVIRONMENT.entrySet()) {
      assertThat(template).containsPattern("- name: " + e.getKey() + "\\s+value: \"" + e.getValue() + "\"");
    }
  }

  @Test
  void theProxyHeapDefaultsToTheAgentsHeap() throws UsageException {
    ProxyBench.Options o = ProxyBench.Options.parse(new String[] {"--url", "https://127.0.0.1:8443", "--token", "t"}, k -> null);
    assertThat(o.proxyHeap()).isEqualTo(ProxyBench.AGENT_HEAP);
  }

  @Test
  void everyPathIsWarmedUpBeforeItIsMeasuredUnlessToldNotTo() throws UsageException {
    String[] base = {"--url", "https://127.0.0.1:8443", "--token", "t"};
    assertThat(ProxyBench.Options.parse(base, k -> null).warmup()).isEqualTo(java.time.Duration.ofSeconds(10));
    String[] none = {"--url", "https://127.0.0.1:8443", "--token", "t", "--warmup", "0s"};
    assertThat(ProxyBench.Options.parse(none, k -> null).warmup()).isZero();
    String[] tooShort = {"--url", "https://127.0.0.1:8443", "--token", "t", "--warmup", "500ms"};
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProxyBench.Options.parse(tooShort, k -> null))
        .isInstanceOf(UsageException.class).hasMessageContaining("--warmup");
  }

  @Test
  void addedP99IsTheDifferenceToTheDirectPathAndNeverNegative() {
    AbResult direct = new AbResult(90_000, 1, 0, 0, 1, 3);
    assertThat(ProxyBench.addedP99(new AbResult(50_000, 1, 0, 0, 1, 7), direct)).isEqualTo(4);
    assertThat(ProxyBench.addedP99(new AbResult(50_000, 1, 0, 0, 1, 3), direct)).isZero();
    assertThat(ProxyBench.addedP99(new AbResult(50_000, 1, 0, 0, 1, 2), direct)).isZero();
  }
}
