package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IpRangeTest {

  static Stream<Arguments> membership() {
    return Stream.of(
        Arguments.of("ok/v4-inside", "10.1.0.0/16", "10.1.255.7", true),
        Arguments.of("ok/v4-first", "10.1.0.0/16", "10.1.0.0", true),
        Arguments.of("ok/v4-last", "10.1.0.0/16", "10.1.255.255", true),
        Arguments.of("fail/v4-next", "10.1.0.0/16", "10.2.0.0", false),
        Arguments.of("fail/v4-before", "10.1.0.0/16", "10.0.255.255", false),
        Arguments.of("ok/v4-odd-prefix", "192.168.4.0/22", "192.168.7.200", true),
        Arguments.of("fail/v4-odd-prefix", "192.168.4.0/22", "192.168.8.1", false),
        Arguments.of("ok/v4-slash-0", "0.0.0.0/0", "203.0.113.9", true),
        Arguments.of("ok/v4-slash-32", "192.0.2.7/32", "192.0.2.7", true),
        Arguments.of("fail/v4-slash-32-neighbour", "192.0.2.7/32", "192.0.2.6", false),
        Arguments.of("ok/v4-bare-address", "127.0.0.1", "127.0.0.1", true),
        Arguments.of("fail/v4-bare-address-neighbour", "127.0.0.1", "127.0.0.2", false),
        Arguments.of("fail/v6-address-in-v4-range", "0.0.0.0/0", "2001:db8::1", false),
        Arguments.of("ok/v6-inside", "fd00::/8", "fd12:3456::1", true),
        Arguments.of("fail/v6-outside", "fd00::/8", "fe80::1", false),
        Arguments.of("ok/v6-odd-prefix", "2001:db8:abc0::/44", "2001:db8:abcf:ffff::1", true),
        Arguments.of("fail/v6-odd-prefix", "2001:db8:abc0::/44", "2001:db8:abd0::1", false),
        Arguments.of("ok/v6-slash-0", "::/0", "2001:db8::1", true),
        Arguments.of("fail/v4-address-in-v6-slash-0", "::/0", "10.0.0.1", false),
        Arguments.of("ok/v6-slash-128", "2001:db8::1/128", "2001:db8::1", true),
        Arguments.of("fail/v6-slash-128-neighbour", "2001:db8::1/128", "2001:db8::2", false),
        Arguments.of("ok/v6-bare-address", "::1", "::1", true),
        Arguments.of("ok/v6-upper-case", "FD00::/8", "fd00::5", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("membership")
  void contains(String name, String range, String address, boolean inside) throws Exception {
    assertThat(IpRange.parse(range).contains(InetAddress.getByName(address))).isEqualTo(inside);
  }

  @Test
  void an_ipv4_mapped_address_is_matched_as_its_ipv4_address() throws Exception {
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
    // The JDK's own parser already turns it into IPv4; an Inet6Address holding it is matched the same way.
    InetAddress v6 = Inet6Address.getByAddress(null, mapped, -1);
    assertThat(v6).isInstanceOf(Inet6Address.class);
    assertThat(IpRange.parse("10.0.0.0/8").contains(v6)).isTrue();
    assertThat(IpRange.parse("10.0.0.0/8").contains(InetAddress.getByName("::ffff:10.1.2.3"))).isTrue();
    assertThat(IpRange.parse("::/0").contains(v6)).isFalse();
    assertThat(IpRange.parse("192.168.0.0/16").contains(v6)).isFalse();
  }

  static Stream<Arguments> texts() {
    return Stream.of(
        Arguments.of("10.0.0.0/8", "10.0.0.0/8"),
        Arguments.of(" 192.0.2.7 ", "192.0.2.7/32"),
        Arguments.of("0.0.0.0/0", "0.0.0.0/0"),
        Arguments.of("FD00:0:0:0:0:0:0:0/8", "fd00::/8"),
        Arguments.of("2001:db8:0:1:0:0:0:0/64", "2001:db8:0:1::/64"),
        Arguments.of("2001:0:0:1:0:0:0:1", "2001:0:0:1::1/128"),
        Arguments.of("::1", "::1/128"),
        Arguments.of("::/0", "::/0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("texts")
  void prints_the_canonical_text(String text, String shown) {
    assertThat(IpRange.parse(text)).hasToString(shown);
    assertThat(IpRange.parse(shown)).isEqualTo(IpRange.parse(text));
  }

  static Stream<Arguments> garbage() {
    return Stream.of(
        Arguments.of("fail/dns-name", "example.com/8", "not an IPv4 address"),
        Arguments.of("fail/hex-word", "abc", "not an IPv4 address"),
        Arguments.of("fail/empty", "", "not an IPv4 address"),
        Arguments.of("fail/short-v4", "10.1/16", "not an IPv4 address"),
        Arguments.of("fail/one-number", "10", "not an IPv4 address"),
        Arguments.of("fail/leading-zero", "010.0.0.0/8", "not an IPv4 address"),
        Arguments.of("fail/octet-above-255", "10.0.0.256", "above 255"),
        Arguments.of("fail/prefix-above-32", "10.0.0.0/33", "0 to 32"),
        Arguments.of("fail/prefix-above-128", "fd00::/129", "0 to 128"),
        Arguments.of("fail/prefix-not-a-number", "10.0.0.0/x", "0 to 32"),
        Arguments.of("fail/prefix-signed", "10.0.0.0/+8", "0 to 32"),
        Arguments.of("fail/prefix-negative", "10.0.0.0/-1", "0 to 32"),
        Arguments.of("fail/prefix-empty", "10.0.0.0/", "0 to 32"),
        Arguments.of("fail/two-slashes", "10.0.0.0/8/8", "0 to 32"),
        Arguments.of("fail/host-bits-v4", "10.1.0.0/8", "host bits are set below /8 (the range would be 10.0.0.0/8)"),
        Arguments.of("fail/host-bits-v4-slash-0", "1.0.0.0/0", "host bits"),
        Arguments.of("fail/host-bits-v6", "fd00::1/64", "host bits are set below /64 (the range would be fd00::/64)"),
        Arguments.of("fail/bad-v6", "fd00:::1/64", "not a valid IPv6 address"),
        Arguments.of("fail/lone-colon", ":", "not a valid IPv6 address"),
        Arguments.of("fail/zone-id", "fe80::1%eth0", "not an IPv4 address"),
        Arguments.of("fail/brackets", "[::1]", "not an IPv4 address"),
        Arguments.of("fail/ipv4-mapped", "::ffff:10.0.0.0/104", "IPv4-mapped"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("garbage")
  void refuses_garbage_naming_the_text(String name, String text, String why) {
    assertThatThrownBy(() -> IpRange.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("\"" + text.strip() + "\" is not an IP range: ")
        .hasMessageContaining(why);
  }

  @Test
  void the_constructor_refuses_host_bits_and_bad_prefixes() throws Exception {
    assertThatThrownBy(() -> new IpRange(InetAddress.getByName("10.0.0.1"), 8)).hasMessageContaining("host bits");
    assertThatThrownBy(() -> new IpRange(InetAddress.getByName("10.0.0.0"), 33)).hasMessageContaining("0..32");
    assertThat(new IpRange(InetAddress.getByName("10.0.0.0"), 8)).isEqualTo(IpRange.parse("10.0.0.0/8"));
  }
}
