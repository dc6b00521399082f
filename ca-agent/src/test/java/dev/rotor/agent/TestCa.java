package dev.rotor.agent;

import dev.rotor.agent.api.TrustBundle;
import dev.rotor.pki.CaBuilder;
import dev.rotor.pki.CertificateSigner;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.LeafTemplate;
import dev.rotor.pki.NameConstraintsSpec;
import dev.rotor.pki.Pem;
import dev.rotor.pki.Serials;
import dev.rotor.pki.SigningCa;
import dev.rotor.pki.SubjectNames;
import dev.rotor.pki.Usage;
import java.net.URI;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;

/** A root and issuing intermediate built with ca-pki, issuing leaves as the server would (for unit tests). */
public final class TestCa {

  public final X509Certificate root;
  public final SigningCa issuing;
  private final SigningCa rootCa;
  private final CertificateSigner signer;

  /**
   * The CAs are backdated a day: every leaf passes the lint gate, which wants its validity within
   * the issuer's, and tests sign leaves that started (and ended) minutes ago.
   */
  public TestCa(String name) throws Exception {
    CaBuilder b = new CaBuilder(CryptoProviders.signing());
    Instant now = Instant.now();
    KeyPair rootKeys = KeyAlgorithm.EC_P256.generate();
    root = b.root(rootKeys, KeyAlgorithm.EC_P256, new X500Name("CN=" + name + " root"), now.minus(Duration.ofDays(1)),
        now.plus(Duration.ofDays(10)));
    rootCa = new SigningCa(root, rootKeys.getPrivate(), KeyAlgorithm.EC_P256);
    KeyPair intKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate intermediate = b.intermediate(intKeys, KeyAlgorithm.EC_P256, new X500Name("CN=" + name + " issuing"),
        rootCa, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(5)), new NameConstraintsSpec("rotor.local", List.of("svc.cluster.local")));
    issuing = new SigningCa(intermediate, intKeys.getPrivate(), KeyAlgorithm.EC_P256);
    signer = new CertificateSigner(issuing, CryptoProviders.signing());
  }

  /** Another issuing intermediate under the same root (a CA rotation's successor). */
  public TestCa(TestCa sameRoot, String name) throws Exception {
    Instant now = Instant.now();
    root = sameRoot.root;
    rootCa = sameRoot.rootCa;
    KeyPair intKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate intermediate = new CaBuilder(CryptoProviders.signing()).intermediate(intKeys, KeyAlgorithm.EC_P256,
        new X500Name("CN=" + name + " issuing"), rootCa, now.minusSeconds(60), now.plus(Duration.ofDays(5)),
        new NameConstraintsSpec("rotor.local", List.of("svc.cluster.local")));
    issuing = new SigningCa(intermediate, intKeys.getPrivate(), KeyAlgorithm.EC_P256);
    signer = new CertificateSigner(issuing, CryptoProviders.signing());
  }

  public TrustBundle bundle() throws Exception {
    return TrustBundle.parse(Pem.certificate(root.getEncoded()));
  }

  /** leaf + intermediate as PEM. */
  public String chainPem(PublicKey key, String spiffeId, List<String> dns, Instant notBefore, Instant notAfter) throws Exception {
    byte[] leaf = signer.sign(new LeafTemplate(Serials.random(), key, null,
        SubjectNames.of(dns, List.of(), List.of(URI.create(spiffeId))), notBefore, notAfter,
        EnumSet.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH), null, null, null));
    return Pem.certificate(leaf) + Pem.certificate(issuing.certificate().getEncoded());
  }
}
