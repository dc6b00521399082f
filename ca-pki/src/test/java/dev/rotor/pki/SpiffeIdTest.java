package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.net.URI;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpiffeIdTest {

  static Stream<Arguments> valid() {
    return Stream.of(
        Arguments.of("ok/workload", "spiffe://example.org/ns/default/sa/web", "example.org", "/ns/default/sa/web"),
        Arguments.of("ok/trust-domain-only", "spiffe://example.org", "example.org", ""),
        Arguments.of("ok/all-td-chars", "spiffe://a-b_c.9/x", "a-b_c.9", "/x"),
        Arguments.of("ok/all-path-chars", "spiffe://td/A-z_0.9/..a/.b.", "td", "/A-z_0.9/..a/.b."));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void parses(String name, String uri, String trustDomain, String path) throws Exception {
    SpiffeId id = SpiffeId.parse(uri);
    assertThat(id.trustDomain()).isEqualTo(trustDomain);
    assertThat(id.path()).isEqualTo(path);
    assertThat(id.toString()).isEqualTo(uri);
    assertThat(id.toUri()).isEqualTo(URI.create(uri));
    assertThat(SpiffeId.of(trustDomain, path)).isEqualTo(id);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("fail/empty", "", "empty"),
        Arguments.of("fail/wrong-scheme", "https://example.org/a", "does not start with spiffe://"),
        Arguments.of("fail/upper-scheme", "SPIFFE://example.org/a", "lower-case scheme"),
        Arguments.of("fail/no-authority", "spiffe:example.org/a", "does not start with spiffe://"),
        Arguments.of("fail/empty-trust-domain", "spiffe:///a", "empty trust domain"),
        Arguments.of("fail/upper-trust-domain", "spiffe://Example.org/a", "upper-case"),
        Arguments.of("fail/port", "spiffe://example.org:443/a", "port"),
        Arguments.of("fail/userinfo", "spiffe://user@example.org/a", "userinfo"),
        Arguments.of("fail/query", "spiffe://example.org/a?x=1", "query"),
        Arguments.of("fail/fragment", "spiffe://example.org/a#x", "fragment"),
        Arguments.of("fail/query-on-td", "spiffe://example.org?x", "query"),
        Arguments.of("fail/percent", "spiffe://example.org/a%20b", "percent"),
        Arguments.of("fail/trailing-slash", "spiffe://example.org/a/", "end with /"),
        Arguments.of("fail/root-slash", "spiffe://example.org/", "end with /"),
        Arguments.of("fail/empty-segment", "spiffe://example.org/a//b", "empty path segment"),
        Arguments.of("fail/dot-segment", "spiffe://example.org/a/./b", "'.' or '..'"),
        Arguments.of("fail/dotdot-segment", "spiffe://example.org/a/..", "'.' or '..'"),
        Arguments.of("fail/bad-path-char", "spiffe://example.org/a:b", "outside [A-Za-z0-9._-]"),
        Arguments.of("fail/unicode", "spiffe://example.org/ä", "outside"),
        Arguments.of("fail/too-long", "spiffe://example.org/" + "a".repeat(2048), "longer than 2048"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void refuses(String name, String uri, String detail) {
    assertThatThrownBy(() -> SpiffeId.parse(uri))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.REJECTED_NAME))
        .hasMessageContaining(detail);
  }

  @Test
  void longestAcceptedIsExactly2048() throws Exception {
    String prefix = "spiffe://example.org/";
    String ok = prefix + "a".repeat(2048 - prefix.length());
    assertThat(SpiffeId.parse(ok).toString()).hasSize(2048);
    assertThatThrownBy(() -> SpiffeId.parse(ok + "a")).isInstanceOf(PkiException.class);
  }

  @Test
  void ofValidatesToo() {
    assertThatThrownBy(() -> SpiffeId.of("Example.org", "/a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SpiffeId.of("example.org", "a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SpiffeId.of("example.org", "/a/")).isInstanceOf(IllegalArgumentException.class);
  }

  private static java.security.cert.X509Certificate withUris(String... uris) throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    java.security.KeyPair k = g.generateKeyPair();
    org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
        new org.bouncycastle.asn1.x500.X500Name("CN=t"), java.math.BigInteger.ONE, new java.util.Date(),
        new java.util.Date(System.currentTimeMillis() + 60_000), new org.bouncycastle.asn1.x500.X500Name("CN=t"), k.getPublic());
    if (uris.length > 0) {
      org.bouncycastle.asn1.x509.GeneralName[] names = new org.bouncycastle.asn1.x509.GeneralName[uris.length];
      for (int i = 0; i < uris.length; i++) {
        names[i] = new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier, uris[i]);
      }
      b.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, true, new org.bouncycastle.asn1.x509.GeneralNames(names));
    }
    return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
        b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
  }

  @Test
  void fromCertificate_takes_the_one_uri_san() throws Exception {
    assertThat(SpiffeId.fromCertificate(withUris("spiffe://rotor.local/ns/a/sa/b")))
        .contains(SpiffeId.of("rotor.local", "/ns/a/sa/b"));
    assertThat(SpiffeId.fromCertificate(withUris())).isEmpty();
    assertThat(SpiffeId.fromCertificate(withUris("spiffe://rotor.local/ns/a/sa/b", "spiffe://rotor.local/ns/c/sa/d"))).isEmpty();
    assertThat(SpiffeId.fromCertificate(withUris("https://rotor.local/x"))).isEmpty();
    assertThat(SpiffeId.fromCertificate(withUris("spiffe://Rotor.local/x"))).isEmpty();
  }
}
