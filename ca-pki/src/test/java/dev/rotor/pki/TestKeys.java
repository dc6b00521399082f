package dev.rotor.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.math.BigInteger;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;

/**
 * Keys and CSRs for tests. Key pairs are cached per kind for the whole test run: RSA key
 * generation is slow, and no test depends on a key being fresh.
 */
final class TestKeys {

  private static final Map<String, KeyPair> CACHE = new ConcurrentHashMap<>();

  private TestKeys() {}

  static KeyPair p256() {
    return ec("secp256r1");
  }

  static KeyPair p384() {
    return ec("secp384r1");
  }

  /** Any named curve BouncyCastle knows (P-521, secp256k1, brainpool...). */
  static KeyPair ec(String curve) {
    return CACHE.computeIfAbsent("ec-" + curve, k -> generate("EC", new ECGenParameterSpec(curve)));
  }

  static KeyPair rsa(int bits) {
    return CACHE.computeIfAbsent("rsa-" + bits, k -> {
      try {
        // AWS-LC refuses to generate keys below 2048 bits; BouncyCastle does whatever it is told.
        KeyPairGenerator gen = KeyPairGenerator.getInstance(
            "RSA", bits >= 2048 ? CryptoProviders.signing() : CryptoProviders.bouncyCastle());
        gen.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4));
        return gen.generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  static KeyPair rsaWithExponent(int bits, BigInteger e) {
    return CACHE.computeIfAbsent("rsa-" + bits + "-e" + e, k -> {
      try {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA", CryptoProviders.bouncyCastle());
        gen.initialize(new RSAKeyGenParameterSpec(bits, e));
        return gen.generateKeyPair();
      } catch (GeneralSecurityException ex) {
        throw new IllegalStateException(ex);
      }
    });
  }

  static KeyPair ed25519() {
    return CACHE.computeIfAbsent("ed25519", k -> generate("Ed25519", null));
  }

  static KeyPair ed448() {
    return CACHE.computeIfAbsent("ed448", k -> generate("Ed448", null));
  }

  static KeyPair dsa() {
    return CACHE.computeIfAbsent("dsa", k -> {
      try {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("DSA", CryptoProviders.bouncyCastle());
        gen.initialize(2048);
        return gen.generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static KeyPair generate(String algorithm, java.security.spec.AlgorithmParameterSpec spec) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(algorithm, CryptoProviders.bouncyCastle());
      if (spec != null) {
        gen.initialize(spec);
      }
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A CSR for {@code keys} signed with {@code sigAlg} (BouncyCastle names), with these SANs. */
  static byte[] csr(KeyPair keys, String sigAlg, GeneralName... sans) {
    return csr(SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()), keys, sigAlg, sans);
  }

  /**
   * A CSR that carries {@code spki} but is signed by {@code signer}: for keys nobody can sign with
   * (off-curve points, even exponents), whose checks run before the signature's.
   */
  static byte[] csr(SubjectPublicKeyInfo spki, KeyPair signer, String sigAlg, GeneralName... sans) {
    ASN1Encodable[] extensions = sans.length == 0
        ? new ASN1Encodable[0]
        : new ASN1Encodable[] {sanExtension(new GeneralNames(sans))};
    return csrWithExtensions(spki, signer, sigAlg, extensions);
  }

  static byte[] csrWithExtensions(SubjectPublicKeyInfo spki, KeyPair signer, String sigAlg, ASN1Encodable... extensions) {
    PKCS10CertificationRequestBuilder builder = new PKCS10CertificationRequestBuilder(new X500Name("CN=test"), spki);
    if (extensions.length > 0) {
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new DERSequence(extensions));
    }
    try {
      return builder
          .build(new JcaContentSignerBuilder(sigAlg).setProvider(CryptoProviders.bouncyCastle()).build(signer.getPrivate()))
          .getEncoded();
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Extension sanExtension(GeneralNames names) {
    try {
      return new Extension(Extension.subjectAlternativeName, false, names.getEncoded("DER"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  static GeneralName uri(String uri) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
  }
}
