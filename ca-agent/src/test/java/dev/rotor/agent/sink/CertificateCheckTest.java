package dev.rotor.agent.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.agent.TestCa;
import dev.rotor.agent.api.Csrs;
import dev.rotor.agent.api.TrustBundle;
import dev.rotor.agent.renew.RenewalPolicy;
import dev.rotor.agent.sink.CertificateCheck.Stored;
import dev.rotor.agent.sink.CertificateCheck.Verdict;
import dev.rotor.agent.sink.CertificateCheck.Wanted;
import dev.rotor.pki.PrivateKeys;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertificateCheckTest {

  private static final String ID = "spiffe://rotor.local/ns/payments/sa/api";
  private static final Wanted WANTED = new Wanted(ID, List.of("api.payments.svc.cluster.local"));
  private static TestCa ca;
  private static TestCa otherCa;
  private static TrustBundle bundle;
  private static KeyPair keys;
  private static String keyPem;
  private static Instant nb;
  private static Instant na;
  private static String chain;

  @BeforeAll
  static void setUp() throws Exception {
    ca = new TestCa("check");
    otherCa = new TestCa("other");
    bundle = ca.bundle();
    keys = Csrs.newKeyPair();
    keyPem = PrivateKeys.toPem(keys.getPrivate());
    nb = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(10);
    na = nb.plus(Duration.ofMinutes(15));
    chain = ca.chainPem(keys.getPublic(), ID, WANTED.dnsNames(), nb, na);
  }

  private static Verdict at(Stored s, Instant now) {
    return CertificateCheck.assess(s, WANTED, bundle, now, new RenewalPolicy(0.5, 0.1, java.time.Duration.ZERO)).verdict();
  }

  private static Verdict now(Stored s) {
    return at(s, nb.plusSeconds(60));
  }

  @Test
  void aCertificateOfATaintedIssuerMustBeReplacedAtOnce() {
    TrustBundle marked = bundle.withTainted(java.util.Set.of(java.util.HexFormat.of().formatHex(ca.issuing.subjectKeyIdentifier())));
    Verdict v = CertificateCheck.assess(new Stored(chain, keyPem, bundle.pem()), WANTED, marked, nb.plusSeconds(60),
        new RenewalPolicy(0.5, 0.1, java.time.Duration.ZERO)).verdict();
    assertThat(v).isEqualTo(Verdict.TAINTED_ISSUER);
    assertThat(v.needsNewCertificate()).isTrue();
  }

  @Test
  void fresh() {
    assertThat(now(new Stored(chain, keyPem, bundle.pem()))).isEqualTo(Verdict.FRESH);
  }

  @Test
  void missing() {
    assertThat(now(new Stored(null, null, null))).isEqualTo(Verdict.MISSING);
    assertThat(now(new Stored(chain, "", bundle.pem()))).isEqualTo(Verdict.MISSING);
  }

  @Test
  void invalid() {
    assertThat(now(new Stored("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", keyPem, null)))
        .isEqualTo(Verdict.INVALID);
    assertThat(now(new Stored(chain, "not a key", null))).isEqualTo(Verdict.INVALID);
  }

  @Test
  void keyMismatch() throws Exception {
    String otherKey = PrivateKeys.toPem(Csrs.newKeyPair().getPrivate());
    assertThat(now(new Stored(chain, otherKey, bundle.pem()))).isEqualTo(Verdict.KEY_MISMATCH);
  }

  @Test
  void wrongIdentityAndChangedNames() throws Exception {
    String other = ca.chainPem(keys.getPublic(), "spiffe://rotor.local/ns/payments/sa/worker", WANTED.dnsNames(), nb, na);
    assertThat(now(new Stored(other, keyPem, bundle.pem()))).isEqualTo(Verdict.WRONG_IDENTITY);
    String noDns = ca.chainPem(keys.getPublic(), ID, List.of(), nb, na);
    assertThat(now(new Stored(noDns, keyPem, bundle.pem()))).isEqualTo(Verdict.NAMES_CHANGED);
  }

  @Test
  void untrustedWhenSignedByAnotherCa() throws Exception {
    String foreign = otherCa.chainPem(keys.getPublic(), ID, WANTED.dnsNames(), nb, na);
    assertThat(now(new Stored(foreign, keyPem, bundle.pem()))).isEqualTo(Verdict.UNTRUSTED);
  }

  @Test
  void dueFromHalfLifeThenExpired() {
    Stored s = new Stored(chain, keyPem, bundle.pem());
    assertThat(at(s, nb.plusSeconds(449))).isEqualTo(Verdict.FRESH);
    assertThat(at(s, nb.plusSeconds(450))).isEqualTo(Verdict.DUE);
    assertThat(at(s, na.plusSeconds(1))).isEqualTo(Verdict.EXPIRED);
  }

  @Test
  void bundleOutdatedAfterCaRotationNeedsNoNewCertificate() throws Exception {
    Stored s = new Stored(chain, keyPem, otherCa.bundle().pem());
    Verdict v = now(s);
    assertThat(v).isEqualTo(Verdict.BUNDLE_OUTDATED);
    assertThat(v.needsNewCertificate()).isFalse();
    assertThat(now(new Stored(chain, keyPem, null))).isEqualTo(Verdict.BUNDLE_OUTDATED);
  }

  @Test
  void theBundleMayHoldOldAndNewAnchors() throws Exception {
    TrustBundle both = TrustBundle.parse(otherCa.bundle().pem() + bundle.pem());
    assertThat(CertificateCheck.chainsTo(dev.rotor.pki.Pem.parseCertificates(chain), both, nb.plusSeconds(60))).isTrue();
    assertThat(CertificateCheck.chainsTo(dev.rotor.pki.Pem.parseCertificates(chain), otherCa.bundle(), nb.plusSeconds(60))).isFalse();
  }
}
