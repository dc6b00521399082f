package dev.rotor.pki;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Objects;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * Signs with one private key through one JCA provider; shared by the certificate, CRL and OCSP
 * builders.
 *
 * <p>Each {@link #newSigner()} gets its own {@link Signature}, so one instance serves any number of
 * threads (platform or virtual) without locks or thread-locals. The data to sign is buffered and
 * handed to the provider in one call: BouncyCastle's encoders write many small chunks, and each
 * would otherwise be a JNI crossing into AWS-LC.
 */
final class JcaSigner {

  private final String algorithm;
  private final AlgorithmIdentifier algorithmIdentifier;
  private final PrivateKey key;
  private final Provider provider;

  JcaSigner(String algorithm, PrivateKey key, Provider provider) {
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(provider, "provider");
    // A key that never leaves its token (getEncoded() == null: a PKCS#11 handle) is signed by the
    // provider that holds it; JCA's delayed provider selection finds it among the installed ones.
    this.provider = Objects.requireNonNull(key, "key").getEncoded() == null ? null : provider;
    this.algorithmIdentifier = new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm);
    this.key = forProvider(Objects.requireNonNull(key, "key"), provider);
  }

  AlgorithmIdentifier algorithmIdentifier() {
    return algorithmIdentifier;
  }

  /** Signs {@code data} in one call (thread-safe: a fresh {@link Signature} per call). */
  byte[] sign(byte[] data) throws GeneralSecurityException {
    Signature signature = newSignature();
    signature.update(data);
    try {
      return signature.sign();
    } catch (SignatureException | java.security.ProviderException e) {
      throw new SigningKeyUnavailableException(e);
    }
  }

  /** A {@link Signature} initialised with the key; a key that cannot sign (token gone) is reported as such. */
  private Signature newSignature() throws GeneralSecurityException {
    try {
      Signature signature;
      if (key instanceof Pkcs11Token.TokenKey tokenKey) {
        signature = Signature.getInstance(algorithm, tokenKey.provider());
        signature.initSign(tokenKey.handle());
      } else {
        signature = provider == null ? Signature.getInstance(algorithm) : Signature.getInstance(algorithm, provider);
        signature.initSign(key);
      }
      return signature;
    } catch (java.security.InvalidKeyException | java.security.ProviderException e) {
      throw new SigningKeyUnavailableException(e);
    }
  }

  /** A fresh single-use signer. */
  ContentSigner newSigner() throws GeneralSecurityException {
    Signature signature = newSignature();
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
    return new ContentSigner() {
      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithmIdentifier;
      }

      @Override
      public OutputStream getOutputStream() {
        return buffer;
      }

      @Override
      public byte[] getSignature() {
        try {
          signature.update(buffer.toByteArray());
          return signature.sign();
        } catch (SignatureException | java.security.ProviderException e) {
          throw new SigningKeyUnavailableException(e);
        }
      }
    };
  }

  /**
   * The key as the provider's own key object, converted once here rather than on every
   * {@code initSign} (AWS-LC re-imports foreign keys on each use). Keys that cannot be converted
   * (a PKCS#11 handle, say) are used as they are.
   */
  private static PrivateKey forProvider(PrivateKey key, Provider provider) {
    if (key.getEncoded() == null) {
      return key;
    }
    try {
      return (PrivateKey) KeyFactory.getInstance(key.getAlgorithm(), provider).translateKey(key);
    } catch (GeneralSecurityException | RuntimeException e) {
      return key;
    }
  }

  /**
   * RFC 5280 §4.2.1.2 method (1): the SHA-1 hash of the BIT STRING subjectPublicKey (excluding tag,
   * length and unused-bits octet). SHA-1 is fine here: it is an identifier, not a signature.
   */
  static byte[] keyIdentifier(PublicKey key) {
    return keyIdentifier(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
  }

  static byte[] keyIdentifier(SubjectPublicKeyInfo spki) {
    return sha1(spki.getPublicKeyData().getBytes());
  }

  static byte[] sha1(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }
}
