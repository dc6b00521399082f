package dev.rotor.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileIdentitySourceTest {

  private static final String ID = "spiffe://rotor.local/ns/web/sa/api";

  private static X509Certificate selfSigned(KeyPair k, String uri, long serial) throws Exception {
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=t"), BigInteger.valueOf(serial),
        Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plusSeconds(600)), new X500Name("CN=t"), k.getPublic());
    b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
  }

  private static void write(Path dir, X509Certificate cert, KeyPair keys, int second) throws Exception {
    if (cert != null) {
      Files.writeString(dir.resolve("cert.pem"), Pem.certificate(cert.getEncoded()));
      Files.setLastModifiedTime(dir.resolve("cert.pem"), FileTime.from(Instant.ofEpochSecond(1_700_000_000L + second)));
    }
    if (keys != null) {
      Files.writeString(dir.resolve("key.pem"), PrivateKeys.toPem(keys.getPrivate()));
      Files.setLastModifiedTime(dir.resolve("key.pem"), FileTime.from(Instant.ofEpochSecond(1_700_000_000L + second)));
    }
  }

  @Test
  void followsTheSinkAndNeverServesAMismatchedPair(@TempDir Path dir) throws Exception {
    FileIdentitySource source = new FileIdentitySource(Map.of(ID, dir), List::of);
    assertThat(source.identity(ID)).isEmpty();
    assertThat(source.identity("spiffe://rotor.local/ns/other/sa/x")).isEmpty();

    KeyPair k1 = RotorCa.keys();
    X509Certificate c1 = selfSigned(k1, ID, 1);
    write(dir, c1, k1, 1);
    assertThat(source.identity(ID)).hasValueSatisfying(i -> assertThat(i.leaf()).isEqualTo(c1));

    // Halfway through a replacement: a new certificate, the old key. The old pair stays in use.
    KeyPair k2 = RotorCa.keys();
    X509Certificate c2 = selfSigned(k2, ID, 2);
    write(dir, c2, null, 2);
    assertThat(source.identity(ID)).hasValueSatisfying(i -> assertThat(i.leaf()).isEqualTo(c1));
    write(dir, null, k2, 2);
    assertThat(source.identity(ID)).hasValueSatisfying(i -> {
      assertThat(i.leaf()).isEqualTo(c2);
      assertThat(i.key()).isEqualTo(k2.getPrivate());
    });

    // A certificate for another identity is never served under this one.
    KeyPair k3 = RotorCa.keys();
    write(dir, selfSigned(k3, "spiffe://rotor.local/ns/evil/sa/x", 3), k3, 3);
    assertThat(source.identity(ID)).hasValueSatisfying(i -> assertThat(i.leaf()).isEqualTo(c2));
  }
}
