package dev.rotor.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class CsrsTest {

  @Test
  void freshP256KeyAndASelfSignedCsrForIt() throws Exception {
    KeyPair keys = Csrs.newKeyPair();
    assertThat(keys.getPublic()).isInstanceOf(ECPublicKey.class);
    assertThat(((ECPublicKey) keys.getPublic()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(PrivateKeys.matches(keys.getPublic(), keys.getPrivate())).isTrue();

    String pem = Csrs.csr(keys);
    PKCS10CertificationRequest csr = new PKCS10CertificationRequest(Pem.decodeOne(pem, "CERTIFICATE REQUEST"));
    assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(keys.getPublic()))).isTrue();
    assertThat(csr.getSubjectPublicKeyInfo().getEncoded()).isEqualTo(keys.getPublic().getEncoded());
  }

  @Test
  void everyKeyIsNew() {
    assertThat(Csrs.newKeyPair().getPublic()).isNotEqualTo(Csrs.newKeyPair().getPublic());
  }

  @Test
  void keyPemIsPkcs8AndReadsBack() throws Exception {
    KeyPair keys = Csrs.newKeyPair();
    String pem = PrivateKeys.toPem(keys.getPrivate());
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(PrivateKeys.matches(keys.getPublic(), PrivateKeys.parse(pem))).isTrue();
  }
}
