package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class IpRangeTest {

  @Test
  void containsOnPrefixBoundaries() throws Exception {
    IpRange r = IpRange.parse("10.1.0.0/16");
    assertThat(r.contains(InetAddress.getByName("10.1.255.7"))).isTrue();
    assertThat(r.contains(InetAddress.getByName("10.2.0.1"))).isFalse();
    assertThat(r.contains(InetAddress.getByName("::1"))).isFalse();
    assertThat(IpRange.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.2"))).isFalse();
    assertThat(IpRange.parse("fd00::/8").contains(InetAddress.getByName("fd12::1"))).isTrue();
    assertThat(IpRange.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
  }

  @Test
  void refusesNamesAndBadPrefixes() {
    assertThatThrownBy(() -> IpRange.parse("example.com/8")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpRange.parse("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpRange.parse("10.0.0.0/x")).isInstanceOf(IllegalArgumentException.class);
  }
}
