package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AbResultTest {

  /** ab 2.3 output (Debian bookworm's apache2-utils), trimmed of its banner. */
  static final String SAMPLE = """
      Concurrency Level:      4
      Time taken for tests:   1.000 seconds
      Complete requests:      13167
      Failed requests:        2
         (Connect: 0, Receive: 0, Length: 2, Exceptions: 0)
      Non-2xx responses:      13
      Keep-Alive requests:    13167
      Requests per second:    13166.46 [#/sec] (mean)
      Time per request:       0.304 [ms] (mean)

      Percentage of the requests served within a certain time (ms)
        50%      1
        66%      1
        90%      1
        99%      3
       100%     20 (longest request)
      """;

  @Test
  void readsThroughputFailuresAndPercentiles() {
    AbResult r = AbResult.parse(SAMPLE);
    assertThat(r.requestsPerSecond()).isEqualTo(13166.46);
    assertThat(r.complete()).isEqualTo(13167);
    assertThat(r.failed()).isEqualTo(2);
    assertThat(r.non2xx()).isEqualTo(13);
    assertThat(r.p50Ms()).isEqualTo(1);
    assertThat(r.p99Ms()).isEqualTo(3);
    assertThat(r.clean()).isFalse();
    assertThat(AbResult.parse(SAMPLE.replace("Failed requests:        2", "Failed requests:        0")
        .replace("Non-2xx responses:      13\n", "")).clean()).isTrue();
  }

  @Test
  void refusesOutputWithoutResults() {
    assertThatThrownBy(() -> AbResult.parse("apr_socket_connect(): Connection refused (111)")).hasMessageContaining("Requests per second");
  }

  @Test
  void proxyOptions() throws Exception {
    ProxyBench.Options o = ProxyBench.Options.parse(new String[] {"--url", "https://h:8443/", "--token", "t", "--concurrency", "8,64",
        "--duration", "5s", "--http"}, k -> null);
    assertThat(o.url()).isEqualTo("https://h:8443");
    assertThat(o.concurrency()).containsExactly(8, 64);
    assertThat(o.duration().toSeconds()).isEqualTo(5);
    assertThat(o.http()).isTrue();
    assertThat(o.proxyJavaOptions()).isEmpty();
    assertThat(ProxyBench.Options.parse(new String[] {"--url", "https://h", "--token", "t", "--proxy-java-options", " -Xlog:gc  -Dx=y "},
        k -> null).proxyJavaOptions()).containsExactly("-Xlog:gc", "-Dx=y");
    assertThatThrownBy(() -> ProxyBench.Options.parse(new String[] {"--url", "http://h"}, k -> "t")).hasMessageContaining("https");
    assertThatThrownBy(() -> ProxyBench.Options.parse(new String[] {"--url", "https://h"}, k -> null)).hasMessageContaining("--token");
    assertThatThrownBy(() -> ProxyBench.Options.parse(new String[] {"--url", "https://h", "--token", "t", "--concurrency", "0"}, k -> null))
        .hasMessageContaining("--concurrency");
    assertThatThrownBy(() -> ProxyBench.Options.parse(new String[] {"--url", "https://h", "--token", "t", "--duration", "500ms"}, k -> null))
        .hasMessageContaining("at least 1s");
  }
}
