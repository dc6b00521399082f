package dev.rotor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.sink.SecretSink;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import io.fabric8.kubernetes.api.model.Secret;
import java.math.BigInteger;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Checks of what a sink wrote, as a consumer (kubelet, a TLS server) would see it. */
final class Pairs {

  private Pairs() {}

  /**
   * Asserts that a Secret holds a complete, matching, valid certificate for {@code identity} that
   * chains to {@code bundle}, with {@code ca.crt} the bundle and the annotations describing the leaf.
   *
   * @return the leaf
   */
  static X509Certificate assertSecretHolds(Secret s, String identity, List<X509Certificate> bundle) throws Exception {
    return assertSecretHolds(s, identity, bundle, Instant.now());
  }

  /** As {@link #assertSecretHolds(Secret, String, List)}, validating the chain at {@code at} (when the version was seen). */
  static X509Certificate assertSecretHolds(Secret s, String identity, List<X509Certificate> bundle, Instant at) throws Exception {
    assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
    X509Certificate leaf = assertPair(Cluster.data(s, SecretSink.TLS_CRT), Cluster.data(s, SecretSink.TLS_KEY), identity, bundle, at);
    assertThat(Pem.parseCertificates(Cluster.data(s, SecretSink.CA_CRT))).containsExactlyElementsOf(bundle);
    assertThat(new BigInteger(s.getMetadata().getAnnotations().get(SecretSink.SERIAL), 16)).isEqualTo(leaf.getSerialNumber());
    assertThat(Instant.parse(s.getMetadata().getAnnotations().get(SecretSink.NOT_AFTER))).isEqualTo(leaf.getNotAfter().toInstant());
    return leaf;
  }

  /** Asserts that the key belongs to the leaf, the chain validates to the bundle now, and the URI SAN is {@code identity}. */
  static X509Certificate assertPair(String chainPem, String keyPem, String identity, List<X509Certificate> bundle) throws Exception {
    return assertPair(chainPem, keyPem, identity, bundle, Instant.now());
  }

  static X509Certificate assertPair(String chainPem, String keyPem, String identity, List<X509Certificate> bundle, Instant at)
      throws Exception {
    assertThat(chainPem).as("certificate chain").isNotBlank();
    assertThat(keyPem).as("key").isNotBlank();
    List<X509Certificate> chain = Pem.parseCertificates(chainPem);
    X509Certificate leaf = chain.get(0);
    assertThat(PrivateKeys.matches(leaf.getPublicKey(), PrivateKeys.parse(keyPem))).as("key matches certificate").isTrue();
    assertThat(Credentials.spiffeIdOf(leaf)).contains(identity);
    assertThat(leaf.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == 6).map(n -> (Object) n.get(1).toString()).toList())
        .containsExactly((Object) identity);
    assertChains(chain, bundle, at);
    return leaf;
  }

  static void assertChains(List<X509Certificate> chain, List<X509Certificate> bundle, Instant at) throws Exception {
    Set<TrustAnchor> anchors = bundle.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toSet());
    List<X509Certificate> path = chain.stream().filter(c -> !bundle.contains(c)).toList();
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    params.setDate(java.util.Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
  }
}
