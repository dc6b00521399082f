package dev.rotor.agent.api;

import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Keys and CSRs made on the node. Every key is a fresh EC P-256 pair; the CSR carries no names
 * because the server takes the names from the request, never from the CSR (docs/agent-api.md).
 */
public final class Csrs {

  private Csrs() {}

  /**
   * A new P-256 key pair. The private key is re-read through PKCS#8 into the JDK's own key class so
   * that JSSE, BouncyCastle and the native provider all accept it.
   */
  public static KeyPair newKeyPair() {
    KeyPair generated = KeyAlgorithm.EC_P256.generate();
    try {
      PrivateKey jdk = PrivateKeys.parse(PrivateKeys.toPem(generated.getPrivate()));
      return new KeyPair(generated.getPublic(), jdk);
    } catch (PkiException e) {
      throw new IllegalStateException("cannot re-encode a fresh P-256 key", e);
    }
  }

  /** A PKCS#10 CSR, self-signed with SHA256withECDSA, as a {@code CERTIFICATE REQUEST} PEM block. */
  public static String csr(KeyPair keys) {
    try {
      var signer = new JcaContentSignerBuilder("SHA256withECDSA")
          .setProvider(CryptoProviders.bouncyCastle())
          .build(keys.getPrivate());
      byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
          .build(signer)
          .getEncoded();
      return Pem.encode("CERTIFICATE REQUEST", der);
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot build a CSR", e);
    }
  }
}
