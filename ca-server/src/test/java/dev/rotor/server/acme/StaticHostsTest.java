package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class StaticHostsTest {

  @Test
  void wildcardMatchesTheSuffixAndEverythingBelowIt_firstEntryWins() throws Exception {
    StaticHosts h = StaticHosts.parse("ingress.example=10.0.0.5, *.test=127.0.0.1, a.test=10.9.9.9");
    assertThat(h.lookup("ingress.example")).contains(InetAddress.getByName("10.0.0.5"));
    assertThat(h.lookup("www.a.test")).contains(InetAddress.getByName("127.0.0.1"));
    assertThat(h.lookup("a.test")).contains(InetAddress.getByName("127.0.0.1"));
    assertThat(h.lookup("test")).contains(InetAddress.getByName("127.0.0.1"));
    assertThat(h.lookup("nottest")).isEmpty();
    assertThat(h.lookup("other.example")).isEmpty();
    assertThat(StaticHosts.parse("").isEmpty()).isTrue();
  }

  @Test
  void refusesAnythingButNameEqualsAddress() {
    assertThatThrownBy(() -> StaticHosts.parse("a.test")).hasMessageContaining("name=address");
    assertThatThrownBy(() -> StaticHosts.parse("a.test=")).hasMessageContaining("name=address");
    assertThatThrownBy(() -> StaticHosts.parse("a.test=example.com")).hasMessageContaining("not an IP address");
  }
}
