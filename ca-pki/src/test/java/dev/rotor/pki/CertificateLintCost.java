package dev.rotor.pki;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;

/**
 * What the lint gate costs per certificate: a plain loop (no JMH), printed, not asserted. Run by
 * hand (see docs/architecture.md, "Certificate lint gate"):
 *
 * <pre>
 * java -cp ca-pki/target/classes:ca-pki/target/test-classes:$(cat /tmp/ca-pki.cp) dev.rotor.pki.CertificateLintCost
 * </pre>
 */
public final class CertificateLintCost {

  private CertificateLintCost() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    URI crl = URI.create("http://ca.example.com/crl");
    URI ocsp = URI.create("http://ca.example.com/ocsp");
    URI issuers = URI.create("http://ca.example.com/ca/issuer.crt");
    for (KeyAlgorithm alg : List.of(KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_3072)) {
      TestCa.Hierarchy h = TestCa.of(alg);
      CertificateSigner signer = new CertificateSigner(h.ca(), CryptoProviders.signing());
      CertificateLint lint = new CertificateLint(h.ca());
      Profile p = Profile.workload();
      CertificateLint.Expectation expected = CertificateLint.Expectation.of(p, Duration.ofSeconds(30), crl, ocsp, issuers);
      LeafTemplate t = new LeafTemplate(Serials.random(), TestKeys.p256().getPublic(), null,
          SubjectNames.of(List.of("web.default.svc.cluster.local"), List.of(),
              List.of(URI.create("spiffe://example.org/ns/default/sa/web"))),
          TestCa.NOW.minusSeconds(30), TestCa.NOW.plus(p.maxTtl()), p.usages(), crl, ocsp, issuers);
      byte[] cert = signer.sign(t, expected);
      byte[] tbs = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(cert)).getObjectAt(0).toASN1Primitive()
          .getEncoded(ASN1Encoding.DER);

      int lintRounds = rounds;
      long sink = 0;
      for (int warm = 0; warm < 3; warm++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < lintRounds; i++) {
          sink += lint.findings(tbs, expected).size();
        }
        long lintNs = System.nanoTime() - t0;
        int signRounds = alg == KeyAlgorithm.RSA_3072 ? lintRounds / 100 : lintRounds / 10;
        t0 = System.nanoTime();
        for (int i = 0; i < signRounds; i++) {
          sink += signer.sign(t, expected).length;
        }
        long signNs = System.nanoTime() - t0;
        System.out.printf("%s round %d: lint %.2f us/cert, sign incl. lint %.2f us/cert (provider %s)%n", alg.configName(), warm,
            lintNs / 1000.0 / lintRounds, signNs / 1000.0 / signRounds, CryptoProviders.signing().getName());
      }
      if (sink == 42) {
        System.out.println();
      }
    }
  }
}
