package dev.rotor.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Key algorithms for CA keys (and the server's own TLS key), each with the signature algorithm
 * the CA signs with. The hash matches the curve strength (RFC 5480 §4 pairs SHA-384 with P-384).
 */
public enum KeyAlgorithm {
  /** ECDSA P-256 signing with SHA-256. */
  EC_P256("ec-p256", "SHA256withECDSA"),
  /** ECDSA P-384 signing with SHA-384. */
  EC_P384("ec-p384", "SHA384withECDSA"),
  /** RSA 3072 (PKCS#1 v1.5) signing with SHA-256. */
  RSA_3072("rsa-3072", "SHA256withRSA");

  private static final String ACCEPTED = "ec-p256 (p256, P-256), ec-p384 (p384, P-384), rsa-3072 (rsa3072)";

  private final String configName;
  private final String signatureAlgorithm;

  KeyAlgorithm(String configName, String signatureAlgorithm) {
    this.configName = configName;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /**
   * Parses a configuration value, case-insensitively: {@code ec-p256}, {@code p256}, {@code P-256},
   * {@code ec-p384}, {@code p384}, {@code P-384}, {@code rsa-3072}, {@code rsa3072}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static KeyAlgorithm parse(String s) {
    String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "ec-p256", "p256", "p-256" -> EC_P256;
      case "ec-p384", "p384", "p-384" -> EC_P384;
      case "rsa-3072", "rsa3072" -> RSA_3072;
      default -> throw new IllegalArgumentException(
          "unsupported key algorithm '" + s + "'; accepted: " + ACCEPTED);
    };
  }

  /**
   * Derives the algorithm of an existing key (an imported CA's). EC keys are recognised by the
   * named-curve OID in their encoding, so the key may come from any provider.
   *
   * @throws IllegalArgumentException for other curves, other RSA sizes and other key types
   */
  public static KeyAlgorithm of(PublicKey key) {
    if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() == 3072) {
        return RSA_3072;
      }
      throw new IllegalArgumentException(
          "unsupported CA key: RSA " + rsa.getModulus().bitLength() + " bits; supported: " + ACCEPTED);
    }
    byte[] encoded = key == null ? null : key.getEncoded();
    if (encoded != null) {
      try {
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(encoded);
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm())
            && spki.getAlgorithm().getParameters() instanceof ASN1ObjectIdentifier curve) {
          if (SECObjectIdentifiers.secp256r1.equals(curve)) {
            return EC_P256;
          }
          if (SECObjectIdentifiers.secp384r1.equals(curve)) {
            return EC_P384;
          }
        }
      } catch (RuntimeException e) {
        // Not a SubjectPublicKeyInfo we can read: fall through to the refusal below.
      }
    }
    throw new IllegalArgumentException(
        "unsupported CA key " + (key == null ? "null" : key.getAlgorithm()) + "; supported: " + ACCEPTED);
  }

  /** Generates a key pair with {@link CryptoProviders#signing()}. */
  public KeyPair generate() {
    return generate(CryptoProviders.signing());
  }

  /**
   * Generates a key pair with {@code provider}: a PKCS#11 provider generates it inside the token
   * (see {@link Pkcs11Token#generate}).
   */
  public KeyPair generate(java.security.Provider provider) {
    try {
      KeyPairGenerator gen;
      switch (this) {
        case EC_P256 -> {
          gen = KeyPairGenerator.getInstance("EC", provider);
          gen.initialize(new ECGenParameterSpec("secp256r1"));
        }
        case EC_P384 -> {
          gen = KeyPairGenerator.getInstance("EC", provider);
          gen.initialize(new ECGenParameterSpec("secp384r1"));
        }
        case RSA_3072 -> {
          gen = KeyPairGenerator.getInstance("RSA", provider);
          gen.initialize(new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4));
        }
        default -> throw new AssertionError(this);
      }
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + configName + " key pair", e);
    }
  }

  /** The JCA signature algorithm a CA with this key signs with. */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  /** The canonical configuration name ({@code ec-p256}, {@code ec-p384}, {@code rsa-3072}). */
  public String configName() {
    return configName;
  }
}
