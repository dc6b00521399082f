package dev.rotor.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.agent.TestCa;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.Pem;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bundle's trust rule: an issuing CA the bundle lists, and PKIX to one of its roots. */
class TrustBundleTest {

  private static final String ID = "spiffe://rotor.local/ns/web/sa/frontend";

  @Test
  void a_bundle_of_roots_only_accepts_any_path_to_a_root() throws Exception {
    TestCa a = new TestCa("a");
    TestCa b = new TestCa(a, "b");
    TrustBundle roots = bundle(a.root);
    assertThat(roots.validates(chain(a), Instant.now())).isTrue();
    assertThat(roots.validates(chain(b), Instant.now())).isTrue();
  }

  @Test
  void with_intermediates_listed_only_their_leaves_pass() throws Exception {
    TestCa a = new TestCa("a");
    TestCa b = new TestCa(a, "b");
    TrustBundle both = bundle(a.root, a.issuing.certificate(), b.issuing.certificate());
    assertThat(both.validates(chain(a), Instant.now())).isTrue();
    assertThat(both.validates(chain(b), Instant.now())).isTrue();
    // b removed from the bundle: its leaves are refused although the root still signs b
    TrustBundle onlyA = bundle(a.root, a.issuing.certificate());
    assertThat(onlyA.validates(chain(b), Instant.now())).isFalse();
    assertThatThrownBy(() -> TrustBundle.check(chain(b), onlyA.anchors(), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class).hasMessageContaining("is not in the trust bundle");
    // a leaf sent without its intermediate still passes through the listed one
    assertThat(onlyA.validates(chain(a).subList(0, 1), Instant.now())).isTrue();
  }

  @Test
  void a_listed_intermediate_under_a_foreign_root_is_refused() throws Exception {
    TestCa a = new TestCa("a");
    TestCa foreign = new TestCa("foreign");
    TrustBundle bundle = bundle(a.root, a.issuing.certificate(), foreign.issuing.certificate());
    assertThat(bundle.validates(chain(foreign), Instant.now())).isFalse();
  }

  @Test
  void tainted_issuers_are_recognised_by_the_leafs_authority_key_identifier() throws Exception {
    TestCa a = new TestCa("a");
    TestCa b = new TestCa(a, "b");
    String aKeyId = java.util.HexFormat.of().formatHex(a.issuing.subjectKeyIdentifier());
    TrustBundle marked = bundle(a.root, a.issuing.certificate(), b.issuing.certificate()).withTainted(Set.of(aKeyId));
    assertThat(marked.isTaintedIssuer(chain(a).get(0))).isTrue();
    assertThat(marked.isTaintedIssuer(chain(b).get(0))).isFalse();
    // still trusted while its leaves are replaced
    assertThat(marked.validates(chain(a), Instant.now())).isTrue();
    assertThat(marked.sameAs(bundle(a.root, a.issuing.certificate(), b.issuing.certificate()))).isTrue();
  }

  private static TrustBundle bundle(X509Certificate... certs) throws Exception {
    StringBuilder pem = new StringBuilder();
    for (X509Certificate c : certs) {
      pem.append(Pem.certificate(c.getEncoded()));
    }
    return TrustBundle.parse(pem.toString());
  }

  private static List<X509Certificate> chain(TestCa ca) throws Exception {
    Instant now = Instant.now();
    return Pem.parseCertificates(ca.chainPem(KeyAlgorithm.EC_P256.generate().getPublic(), ID, List.of(), now.minusSeconds(30),
        now.plusSeconds(600)));
  }
}
