package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.CryptoProviders;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class TrustAnchorsTest {

  private static X509Certificate selfSigned(String cn) throws Exception {
    KeyPair keys = CsrPool.keyPairGenerator(CryptoProviders.signing()).generateKeyPair();
    X500Name name = new X500Name("CN=" + cn);
    Instant now = Instant.now();
    return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
        BigInteger.ONE, Date.from(now), Date.from(now.plusSeconds(3600)), name, keys.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA")
            .setProvider(CryptoProviders.signing()).build(keys.getPrivate())));
  }

  private static String pem(X509Certificate... certs) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      for (X509Certificate c : certs) {
        pw.writeObject(c);
      }
    }
    return w.toString();
  }

  @Test
  void readsEveryCertificateOfABundle() throws Exception {
    X509Certificate root = selfSigned("Root");
    X509Certificate next = selfSigned("Next Root");
    TrustAnchors anchors = TrustAnchors.fromPem(pem(root, next).getBytes(StandardCharsets.UTF_8));
    assertThat(anchors.certificates()).containsExactly(root, next);

    KeyStore ks = anchors.keyStore();
    assertThat(Collections.list(ks.aliases())).hasSize(2);
    for (String alias : Collections.list(ks.aliases())) {
      assertThat(ks.isCertificateEntry(alias)).isTrue();
    }
    assertThat(anchors.sslContext()).isNotNull();
  }

  @Test
  void fingerprintIsSha256OfTheDerInOpensslStyle() throws Exception {
    X509Certificate cert = selfSigned("Root");
    String expected = HexFormat.ofDelimiter(":").withUpperCase()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    assertThat(TrustAnchors.fingerprint(cert)).isEqualTo(expected)
        .matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
  }

  @Test
  void anEmptyBundleIsRefused() {
    assertThatThrownBy(() -> TrustAnchors.fromPem(new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no certificates");
  }
}
