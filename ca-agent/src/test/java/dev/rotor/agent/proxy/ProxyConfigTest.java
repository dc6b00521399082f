package dev.rotor.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {

  private static ProxyConfig yaml(String text) throws Exception {
    Map<?, ?> root = new ObjectMapper(new YAMLFactory()).readValue(text, Map.class);
    return ProxyConfig.parse(root.get("proxy"));
  }

  @Test
  void theIssuesExampleParses() throws Exception {
    ProxyConfig c = yaml("""
        proxy:
          inbound:
            - {name: payments-in, listen: "0.0.0.0:15443", backend: "127.0.0.1:8080", identity: "spiffe://rotor.local/ns/payments/sa/api", allow: ["spiffe://rotor.local/ns/web/*"], http: true}
          outbound:
            - {name: to-payments, listen: "127.0.0.1:15001", upstream: "payments.svc:15443", identity: "spiffe://rotor.local/ns/web/sa/frontend", expect: ["spiffe://rotor.local/ns/payments/sa/api"]}
        """);
    assertThat(c.inbound()).singleElement().satisfies(i -> {
      assertThat(i.listen()).isEqualTo(new ProxyConfig.HostPort("0.0.0.0", 15443));
      assertThat(i.backend()).isEqualTo(new ProxyConfig.HostPort("127.0.0.1", 8080));
      assertThat(i.http()).isTrue();
      assertThat(i.allow()).containsExactly(new IdPattern("spiffe://rotor.local/ns/web/*"));
    });
    assertThat(c.outbound()).singleElement().satisfies(o -> assertThat(o.upstream()).isEqualTo(new ProxyConfig.HostPort("payments.svc", 15443)));
    assertThat(c.tlsVersions()).containsExactly("TLSv1.3");
    assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.identities()).containsExactly("spiffe://rotor.local/ns/payments/sa/api", "spiffe://rotor.local/ns/web/sa/frontend");
    assertThat(ProxyConfig.parse(null)).isEqualTo(ProxyConfig.NONE);
  }

  @Test
  void mistakesAreNamed() {
    Map<String, Object> ok = Map.of("name", "in", "listen", "127.0.0.1:1", "backend", "127.0.0.1:2", "identity", "spiffe://td/ns/a/sa/b",
        "allow", List.of("spiffe://td/ns/web/*"));
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbound", List.of(ok, ok)))).hasMessageContaining("two listeners are named in");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbound", List.of(Map.of("name", "x", "listen", "nope", "backend", "h:1",
        "identity", "spiffe://td/a", "allow", List.of("spiffe://td/a")))))).hasMessageContaining("proxy.inbound x.listen");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbound", List.of(Map.of("name", "x", "listen", "h:1", "backend", "h:99999",
        "identity", "spiffe://td/a", "allow", List.of("spiffe://td/a")))))).hasMessageContaining("bad port");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbound", List.of(Map.of("name", "x", "listen", "h:1", "backend", "h:2",
        "identity", "spiffe://td/a", "allow", List.of()))))).hasMessageContaining("non-empty list");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbound", List.of(Map.of("name", "x", "listen", "h:1", "backend", "h:2",
        "identity", "spiffe://td/a", "allow", List.of("spiffe://td/*/sa/x")))))).hasMessageContaining("trailing /*");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbound", List.of(Map.of("name", "x", "listen", "h:1", "backend", "h:2",
        "identity", "spiffe://td/a", "allow", List.of("spiffe://td/*")))))).hasMessageContaining("at least");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("outbound", List.of(Map.of("name", "o", "listen", "h:1", "upstream", "h:2",
        "identity", "https://x", "expect", List.of("spiffe://td/a")))))).hasMessageContaining("identity");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("outbound", List.of(Map.of("name", "o", "listen", "h:1", "upstream", "h:2",
        "identity", "spiffe://td/a", "expect", List.of("spiffe://td/a"), "alow", List.of()))))).hasMessageContaining("unknown key alow");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("tlsVersions", List.of("TLSv1.1")))).hasMessageContaining("TLSv1.1");
    assertThatThrownBy(() -> ProxyConfig.parse(Map.of("inbund", List.of()))).hasMessageContaining("unknown key inbund");
  }

  @Test
  void patternsMatchAtSegmentBoundaries() {
    IdPattern web = new IdPattern("spiffe://td/ns/web/*");
    assertThat(web.matches("spiffe://td/ns/web/sa/api")).isTrue();
    assertThat(web.matches("spiffe://td/ns/webx/sa/api")).isFalse();
    assertThat(web.matches("spiffe://td/ns/web")).isFalse();
    assertThat(web.matches("spiffe://other/ns/web/sa/api")).isFalse();
    assertThat(web.matches(null)).isFalse();
    IdPattern exact = new IdPattern("spiffe://td/ns/web/sa/api");
    assertThat(exact.matches("spiffe://td/ns/web/sa/api")).isTrue();
    assertThat(exact.matches("spiffe://td/ns/web/sa/api2")).isFalse();
  }
}
