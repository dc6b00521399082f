package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NamePolicyTest {

  private static final NamePolicy POLICY = new NamePolicy("example.org", List.of("svc.cluster.local", "example.com"));
  private static final String WORKLOAD_ID = "spiffe://example.org/ns/default/sa/web";

  /** A request: profile name and names, each prefixed "dns:", "ip:", "uri:" or "email:". */
  private static Arguments request(String name, String profile, String... names) {
    return Arguments.of(name, profile, Arrays.asList(names));
  }

  static Stream<Arguments> allowed() {
    return Stream.of(
        request("ok/workload-spiffe-only", "workload", "uri:" + WORKLOAD_ID),
        request("ok/workload-spiffe-and-dns", "workload", "uri:" + WORKLOAD_ID, "dns:web.default.svc.cluster.local",
            "dns:svc.cluster.local"),
        request("ok/workload-dns-under-second-suffix", "workload", "uri:" + WORKLOAD_ID, "dns:api.example.com"),
        request("ok/workload-punycode", "workload", "uri:" + WORKLOAD_ID, "dns:xn--bcher-kva.example.com"),
        request("ok/workload-leading-digit", "workload", "uri:" + WORKLOAD_ID, "dns:1web.example.com"),
        request("ok/agent", "agent", "uri:spiffe://example.org/agent/k8s_psat/cluster/node-1"),
        request("ok/admin", "admin", "uri:spiffe://example.org/admin/alice"),
        request("ok/acme-dns", "acme", "dns:www.example.com", "dns:example.com"),
        request("ok/acme-wildcard", "acme", "dns:*.example.com"),
        request("ok/acme-wildcard-deeper", "acme", "dns:*.api.example.com"),
        request("ok/acme-ip", "acme", "ip:10.0.0.1", "ip:2001:db8::1"),
        request("ok/acme-ip-only", "acme", "ip:192.0.2.7"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allowed")
  void allows(String name, String profile, List<String> names) throws Exception {
    assertThat(POLICY.violations(Profile.defaults().get(profile), parse(names))).isEmpty();
    POLICY.check(Profile.defaults().get(profile), parse(names));
  }

  static Stream<Arguments> refused() {
    List<String> tooMany = new ArrayList<>();
    tooMany.add("uri:" + WORKLOAD_ID);
    for (int i = 0; i < 100; i++) {
      tooMany.add("dns:w" + i + ".example.com");
    }
    return Stream.of(
        request("fail/no-names", "workload"),
        request("fail/foreign-trust-domain", "workload", "uri:spiffe://evil.org/ns/default/sa/web"),
        request("fail/trust-domain-suffix-trick", "workload", "uri:spiffe://evil.example.org/ns/default/sa/web"),
        request("fail/dns-outside-suffixes", "workload", "uri:" + WORKLOAD_ID, "dns:web.evil.com"),
        request("fail/dns-kubernetes-short-name", "workload", "uri:" + WORKLOAD_ID, "dns:web.default.svc"),
        request("fail/dns-label-boundary-trick", "workload", "uri:" + WORKLOAD_ID, "dns:evilsvc.cluster.local"),
        request("fail/dns-suffix-as-label", "workload", "uri:" + WORKLOAD_ID, "dns:example.com.evil.net"),
        request("fail/dns-uppercase", "workload", "uri:" + WORKLOAD_ID, "dns:Web.example.com"),
        request("fail/dns-trailing-dot", "workload", "uri:" + WORKLOAD_ID, "dns:web.example.com."),
        request("fail/dns-empty-label", "workload", "uri:" + WORKLOAD_ID, "dns:web..example.com"),
        request("fail/dns-leading-hyphen", "workload", "uri:" + WORKLOAD_ID, "dns:-web.example.com"),
        request("fail/dns-trailing-hyphen", "workload", "uri:" + WORKLOAD_ID, "dns:web-.example.com"),
        request("fail/dns-underscore", "workload", "uri:" + WORKLOAD_ID, "dns:_http.example.com"),
        request("fail/dns-long-label", "workload", "uri:" + WORKLOAD_ID, "dns:" + "a".repeat(64) + ".example.com"),
        request("fail/dns-too-long", "workload", "uri:" + WORKLOAD_ID,
            "dns:" + ("a".repeat(60) + ".").repeat(4) + "example.com"),
        request("fail/dns-ip-literal", "acme", "dns:10.0.0.1"),
        request("fail/dns-bad-punycode", "workload", "uri:" + WORKLOAD_ID, "dns:xn--zz.example.com"),
        request("fail/dns-non-ascii", "workload", "uri:" + WORKLOAD_ID, "dns:bücher.example.com"),
        request("fail/wildcard-in-workload", "workload", "uri:" + WORKLOAD_ID, "dns:*.example.com"),
        request("fail/wildcard-not-leftmost", "acme", "dns:www.*.example.com"),
        request("fail/wildcard-partial-label", "acme", "dns:w*.example.com"),
        request("fail/wildcard-outside-suffix", "acme", "dns:*.evil.com"),
        request("fail/wildcard-only", "acme", "dns:*"),
        request("fail/ip-in-workload", "workload", "uri:" + WORKLOAD_ID, "ip:10.0.0.1"),
        request("fail/too-many-names", "workload", tooMany.toArray(new String[0])),
        request("fail/two-spiffe-ids", "workload", "uri:" + WORKLOAD_ID, "uri:spiffe://example.org/ns/default/sa/db"),
        request("fail/no-spiffe-id", "workload", "dns:web.example.com"),
        request("fail/non-spiffe-uri", "workload", "uri:" + WORKLOAD_ID, "uri:https://example.com/x"),
        request("fail/email", "workload", "uri:" + WORKLOAD_ID, "email:ops@example.com"),
        request("fail/workload-path-too-short", "workload", "uri:spiffe://example.org/ns/default"),
        request("fail/workload-path-too-long", "workload", "uri:spiffe://example.org/ns/default/sa/web/extra"),
        request("fail/workload-path-not-sa", "workload", "uri:spiffe://example.org/ns/default/pod/web"),
        request("fail/workload-wrong-prefix", "workload", "uri:spiffe://example.org/agent/node"),
        request("fail/workload-invalid-spiffe", "workload", "uri:spiffe://example.org/ns/default/sa/web/"),
        request("fail/agent-path", "agent", "uri:" + WORKLOAD_ID),
        request("fail/agent-dns", "agent", "uri:spiffe://example.org/agent/node", "dns:node.example.com"),
        request("fail/agent-prefix-only", "agent", "uri:spiffe://example.org/agentx/node"),
        request("fail/admin-path", "admin", "uri:spiffe://example.org/ns/default/sa/admin"),
        request("fail/spiffe-trust-domain-only", "admin", "uri:spiffe://example.org"),
        request("fail/acme-spiffe", "acme", "uri:" + WORKLOAD_ID, "dns:www.example.com"),
        request("fail/duplicate-dns", "acme", "dns:www.example.com", "dns:www.example.com"),
        request("fail/duplicate-ip", "acme", "ip:10.0.0.1", "ip:10.0.0.1"),
        request("fail/ip-unspecified-v4", "acme", "ip:0.0.0.0"),
        request("fail/ip-unspecified-v6", "acme", "ip:::"),
        request("fail/ip-multicast", "acme", "ip:224.0.0.1"),
        request("fail/ip-multicast-v6", "acme", "ip:ff02::1"),
        request("fail/ip-broadcast", "acme", "ip:255.255.255.255"),
        request("fail/dns-all-numeric-tld", "acme", "dns:www.example.123"),
        request("fail/dns-ipv6-literal", "acme", "dns:[2001:db8::1]"),
        request("fail/dns-xn-label-that-is-not-idna", "acme", "dns:xn--.example.com"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refuses(String name, String profile, List<String> names) {
    List<String> violations = POLICY.violations(Profile.defaults().get(profile), parse(names));
    assertThat(violations).isNotEmpty();
    assertThatThrownBy(() -> POLICY.check(Profile.defaults().get(profile), parse(names)))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.REJECTED_NAME))
        .hasMessage(String.join("; ", violations));
  }

  @Test
  void violationsNameTheOffendingName() {
    List<String> v = POLICY.violations(Profile.workload(), parse(List.of(
        "uri:spiffe://evil.org/ns/a/sa/b", "dns:evilsvc.cluster.local", "dns:Web.example.com", "ip:10.0.0.1",
        "email:x@example.com")));
    assertThat(v).hasSize(5);
    assertThat(v).anySatisfy(s -> assertThat(s).contains("spiffe://evil.org/ns/a/sa/b").contains("trust domain example.org"));
    assertThat(v).anySatisfy(s -> assertThat(s).contains("evilsvc.cluster.local").contains("permitted suffix"));
    assertThat(v).anySatisfy(s -> assertThat(s).contains("Web.example.com").contains("lower-case"));
    assertThat(v).anySatisfy(s -> assertThat(s).contains("10.0.0.1").contains("not allowed by profile workload"));
    assertThat(v).anySatisfy(s -> assertThat(s).contains("x@example.com"));
    // The only SPIFFE ID is foreign, but it still counts as the one SPIFFE ID: reported once, not twice.
    assertThat(v).noneSatisfy(s -> assertThat(s).contains("requires exactly one"));
  }

  @Test
  void badPunycodeIsReportedAsSuch() {
    assertThat(POLICY.violations(Profile.acme(), parse(List.of("dns:xn--zz.example.com"))))
        .containsExactly("DNS name \"xn--zz.example.com\" has an xn-- label that is not valid punycode");
  }

  @Test
  void reportsEveryViolationNotJustTheFirst() {
    List<String> v = POLICY.violations(Profile.acme(), parse(List.of("dns:a.evil.com", "dns:b.evil.com", "dns:C.example.com")));
    assertThat(v).hasSize(3);
  }

  @Test
  void tooManyNamesSaysTheLimit() {
    List<String> names = new ArrayList<>(List.of("uri:spiffe://example.org/agent/n"));
    names.add("uri:spiffe://example.org/agent/m");
    assertThat(POLICY.violations(Profile.agent(), parse(names)))
        .contains("the CSR has 2 names; profile agent allows at most 1");
  }

  @Test
  void emptyNamesSaySo() {
    assertThat(POLICY.violations(Profile.workload(), SubjectNames.of(List.of(), List.of(), List.of())))
        .containsExactly("the CSR has no subjectAltName");
  }

  @Test
  void noPermittedSuffixesMeansNoDnsNames() {
    NamePolicy none = new NamePolicy("example.org", List.of());
    assertThat(none.violations(Profile.acme(), parse(List.of("dns:www.example.com"))))
        .singleElement().asString().contains("no DNS suffixes are permitted");
  }

  @Test
  void policyRefusesBadConfiguration() {
    assertThatThrownBy(() -> new NamePolicy("Example.org", List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NamePolicy("example.org", List.of(".example.com"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NamePolicy("example.org", List.of("Example.com"))).isInstanceOf(IllegalArgumentException.class);
  }

  private static final NamePolicy RANGED = new NamePolicy("example.org", List.of("example.com"),
      List.of(IpRange.parse("10.0.0.0/8"), IpRange.parse("fd00::/8")));

  static Stream<Arguments> ranged() {
    return Stream.of(
        Arguments.of("ok/v4-in-range", List.of("ip:10.1.2.3"), List.of()),
        Arguments.of("ok/v6-in-range", List.of("ip:fd12::1", "ip:10.255.255.254"), List.of()),
        Arguments.of("ok/mapped-v4-in-range", List.of("ip:::ffff:10.9.8.7"), List.of()),
        Arguments.of("fail/v4-out-of-range", List.of("ip:192.168.1.1"),
            List.of("IP address 192.168.1.1 is not in a permitted range [10.0.0.0/8, fd00::/8]")),
        Arguments.of("fail/v6-out-of-range", List.of("ip:2001:db8::1"),
            List.of("IP address 2001:db8:0:0:0:0:0:1 is not in a permitted range [10.0.0.0/8, fd00::/8]")),
        Arguments.of("fail/every-address-reported", List.of("ip:10.0.0.1", "ip:11.0.0.1", "ip:fe80::1"),
            List.of("IP address 11.0.0.1 is not in a permitted range [10.0.0.0/8, fd00::/8]",
                "IP address fe80:0:0:0:0:0:0:1 is not in a permitted range [10.0.0.0/8, fd00::/8]")),
        // Inside a range does not make an address that names no host acceptable.
        Arguments.of("fail/multicast-still-refused", List.of("ip:10.255.255.255", "ip:ff02::1"),
            List.of("IP address ff02:0:0:0:0:0:0:1 is a multicast address")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ranged")
  void holdsIpAddressesToThePermittedRanges(String name, List<String> names, List<String> expected) {
    assertThat(RANGED.violations(Profile.acme(), parse(names))).containsExactlyElementsOf(expected);
  }

  @Test
  void aProfilesOwnRangesReplaceTheServerWideOnes() {
    Profile lab = Profile.acme().withPermittedIps(List.of(IpRange.parse("192.168.0.0/16")));
    assertThat(RANGED.violations(lab, parse(List.of("ip:192.168.1.1")))).isEmpty();
    assertThat(RANGED.violations(lab, parse(List.of("ip:10.1.2.3"))))
        .containsExactly("IP address 10.1.2.3 is not in a permitted range [192.168.0.0/16] of profile acme");
    // The same ranges, with no server-wide ones at all.
    assertThat(POLICY.violations(lab, parse(List.of("ip:10.1.2.3")))).hasSize(1);
    // Any address again, explicitly, while the server-wide ranges stay in force for other profiles.
    Profile open = Profile.acme().withPermittedIps(List.of(IpRange.parse("0.0.0.0/0"), IpRange.parse("::/0")));
    assertThat(RANGED.violations(open, parse(List.of("ip:192.0.2.1", "ip:2001:db8::1")))).isEmpty();
    assertThat(RANGED.violations(open, parse(List.of("ip:224.0.0.1")))).containsExactly("IP address 224.0.0.1 is a multicast address");
    assertThat(RANGED.violations(Profile.acme(), parse(List.of("ip:192.0.2.1")))).hasSize(1);
  }

  @Test
  void noRangesMeansAnyAddressThatNamesOneHost() {
    assertThat(POLICY.permittedIps()).isEmpty();
    assertThat(POLICY.violations(Profile.acme(), parse(List.of("ip:192.0.2.1", "ip:2001:db8::1", "ip:127.0.0.1")))).isEmpty();
    assertThat(POLICY.violations(Profile.acme(), parse(List.of("ip:0.0.0.0", "ip:224.0.0.1", "ip:255.255.255.255"))))
        .containsExactly("IP address 0.0.0.0 is the unspecified address", "IP address 224.0.0.1 is a multicast address",
            "IP address 255.255.255.255 is the broadcast address");
  }

  @Test
  void rangesDoNotLetAProfileWithoutIpsIssueThem() {
    assertThat(RANGED.violations(Profile.workload(), parse(List.of("uri:" + WORKLOAD_ID, "ip:10.0.0.1"))))
        .containsExactly("IP address 10.0.0.1 is not allowed by profile workload");
    assertThatThrownBy(() -> Profile.workload().withPermittedIps(List.of(IpRange.parse("10.0.0.0/8"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("permittedIps");
  }

  static SubjectNames parse(List<String> names) {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    List<URI> uris = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    for (String n : names) {
      int colon = n.indexOf(':');
      String kind = n.substring(0, colon);
      String value = n.substring(colon + 1);
      try {
        switch (kind) {
          case "dns" -> dns.add(value);
          case "ip" -> ips.add(InetAddress.getByName(value));
          case "uri" -> uris.add(new URI(value));
          case "email" -> emails.add(value);
          default -> throw new IllegalArgumentException(n);
        }
      } catch (Exception e) {
        throw new IllegalArgumentException(n, e);
      }
    }
    return new SubjectNames(dns, ips, uris, emails);
  }
}
