package dev.rotor.pki;

import dev.rotor.pki.PkiException.Problem;
import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.crypto.util.PBKDF2Config;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * Private keys at rest: PEM in and out, encrypted with a passphrase.
 *
 * <p>Nothing here puts key material into an exception message or attaches a parser exception as a
 * cause (a parser's message could quote bytes of the key).
 */
public final class PrivateKeys {

  /** The PBKDF2 iteration count {@link #encrypt(PrivateKey, char[])} uses (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
  public static final int DEFAULT_ITERATIONS = 600_000;

  /** The fewest PBKDF2 iterations {@link #encrypt(PrivateKey, char[], int)} accepts. */
  public static final int MIN_ITERATIONS = 100_000;

  private static final int SALT_BYTES = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private PrivateKeys() {}

  /**
   * Encrypts {@code key} as an {@code ENCRYPTED PRIVATE KEY} PEM block: PKCS#8
   * EncryptedPrivateKeyInfo with PBES2 (RFC 8018 §6.2), PBKDF2-HMAC-SHA256 over a random 16-byte
   * salt with {@value #DEFAULT_ITERATIONS} iterations, and AES-256-CBC. OpenSSL 1.1+ reads it.
   */
  public static String encrypt(PrivateKey key, char[] passphrase) throws PkiException {
    return encrypt(key, passphrase, DEFAULT_ITERATIONS);
  }

  /**
   * As {@link #encrypt(PrivateKey, char[])} with a chosen iteration count.
   *
   * @throws IllegalArgumentException for fewer than {@value #MIN_ITERATIONS} iterations or an
   *     empty passphrase
   * @throws PkiException {@code UNSUPPORTED_KEY} for a key that cannot be exported (an HSM handle)
   */
  public static String encrypt(PrivateKey key, char[] passphrase, int iterations) throws PkiException {
    if (iterations < MIN_ITERATIONS) {
      throw new IllegalArgumentException("at least " + MIN_ITERATIONS + " PBKDF2 iterations are required");
    }
    if (passphrase == null || passphrase.length == 0) {
      throw new IllegalArgumentException("the passphrase must not be empty");
    }
    byte[] encoded = key.getEncoded();
    if (encoded == null) {
      throw new PkiException(Problem.UNSUPPORTED_KEY, "the key cannot be exported");
    }
    try {
      PBKDF2Config kdf = new PBKDF2Config.Builder()
          .withIterationCount(iterations)
          .withSaltLength(SALT_BYTES)
          .withPRF(PBKDF2Config.PRF_SHA256)
          .build();
      OutputEncryptor encryptor = new JcePKCSPBEOutputEncryptorBuilder(kdf, NISTObjectIdentifiers.id_aes256_CBC)
          .setProvider(CryptoProviders.bouncyCastle())
          .setRandom(RANDOM)
          .build(passphrase);
      PKCS8EncryptedPrivateKeyInfo info =
          new PKCS8EncryptedPrivateKeyInfoBuilder(PrivateKeyInfo.getInstance(encoded)).build(encryptor);
      return Pem.encode("ENCRYPTED PRIVATE KEY", info.getEncoded());
    } catch (OperatorCreationException | IOException | RuntimeException e) {
      throw new PkiException(Problem.UNSUPPORTED_KEY, "the key cannot be encrypted");
    }
  }

  /**
   * Decrypts an {@code ENCRYPTED PRIVATE KEY} (PKCS#8) or a legacy OpenSSL encrypted
   * {@code EC/RSA PRIVATE KEY} ({@code Proc-Type: 4,ENCRYPTED}) PEM block.
   *
   * @throws PkiException {@code WRONG_PASSPHRASE} when decryption fails; {@code MALFORMED} when
   *     the PEM holds no encrypted key or does not parse; {@code TOO_LARGE} over {@link
   *     Pem#MAX_PEM_CHARS}
   */
  public static PrivateKey decrypt(String pem, char[] passphrase) throws PkiException {
    Object object = firstKeyObject(pem);
    if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
      PrivateKeyInfo info;
      try {
        info = encrypted.decryptPrivateKeyInfo(
            new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(CryptoProviders.bouncyCastle()).build(passphrase));
      } catch (Exception e) {
        // A wrong passphrase shows up as a padding error, or (1 time in 256) as garbage that does
        // not parse: both are the passphrase's fault, since the structure around it parsed.
        throw new PkiException(Problem.WRONG_PASSPHRASE, "the passphrase does not decrypt the key");
      }
      return toKey(info);
    }
    if (object instanceof PEMEncryptedKeyPair legacy) {
      PEMKeyPair pair;
      try {
        pair = legacy.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(CryptoProviders.bouncyCastle()).build(passphrase));
      } catch (Exception e) {
        throw new PkiException(Problem.WRONG_PASSPHRASE, "the passphrase does not decrypt the key");
      }
      return toKey(pair.getPrivateKeyInfo());
    }
    throw new PkiException(Problem.MALFORMED, "the PEM holds an unencrypted private key; it needs no passphrase");
  }

  /**
   * Parses an unencrypted private key: {@code PRIVATE KEY} (PKCS#8), {@code EC PRIVATE KEY}
   * (SEC1, RFC 5915) or {@code RSA PRIVATE KEY} (PKCS#1). Other blocks before the key (such as
   * {@code EC PARAMETERS}) are skipped.
   *
   * @throws PkiException {@code WRONG_PASSPHRASE} for an encrypted key; {@code NOT_PEM} when
   *     there is no private key; {@code MALFORMED} when it does not parse
   */
  public static PrivateKey parse(String pem) throws PkiException {
    Object object = firstKeyObject(pem);
    if (object instanceof PrivateKeyInfo info) {
      return toKey(info);
    }
    if (object instanceof PEMKeyPair pair) {
      return toKey(pair.getPrivateKeyInfo());
    }
    throw new PkiException(Problem.WRONG_PASSPHRASE, "the key is encrypted; a passphrase is required");
  }

  /**
   * Whether {@code priv} is the private half of {@code pub}: signs a random challenge and verifies
   * it. False for unsupported key types and on any failure.
   */
  public static boolean matches(PublicKey pub, PrivateKey priv) {
    if (pub == null || priv == null) {
      return false;
    }
    String algorithm = switch (pub) {
      case ECKey ec -> "SHA256withECDSA";
      case RSAKey rsa -> "SHA256withRSA";
      default -> pub.getAlgorithm().equals("Ed25519") || pub.getAlgorithm().equals("EdDSA") ? "Ed25519" : null;
    };
    if (algorithm == null) {
      return false;
    }
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    // Providers disagree on which key classes they accept (AWS-LC refuses BouncyCastle's Ed25519
    // keys), so a provider that cannot use the keys hands over to the next; a signature that does
    // not verify is a definite no.
    for (Provider provider : new Provider[] {CryptoProviders.signing(), CryptoProviders.bouncyCastle()}) {
      try {
        Signature signer = Signature.getInstance(algorithm, provider);
        signer.initSign(priv);
        signer.update(challenge);
        byte[] sig = signer.sign();
        Signature verifier = Signature.getInstance(algorithm, provider);
        verifier.initVerify(pub);
        verifier.update(challenge);
        return verifier.verify(sig);
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next provider
      }
    }
    return false;
  }

  /**
   * The key as an unencrypted PKCS#8 {@code PRIVATE KEY} PEM block, for development setups that
   * keep keys without a passphrase. Prefer {@link #encrypt(PrivateKey, char[])}.
   */
  public static String toPem(PrivateKey key) throws PkiException {
    byte[] encoded = key.getEncoded();
    if (encoded == null) {
      throw new PkiException(Problem.UNSUPPORTED_KEY, "the key cannot be exported");
    }
    // Key.getEncoded() of a private key is PKCS#8 PrivateKeyInfo by the JCA contract.
    return Pem.encode("PRIVATE KEY", encoded);
  }

  private static Object firstKeyObject(String pem) throws PkiException {
    if (pem == null) {
      throw new PkiException(Problem.NOT_PEM, "no PEM input");
    }
    if (pem.length() > Pem.MAX_PEM_CHARS) {
      throw new PkiException(
          Problem.TOO_LARGE, "the PEM input has " + pem.length() + " characters; the limit is " + Pem.MAX_PEM_CHARS);
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (object instanceof PrivateKeyInfo
            || object instanceof PEMKeyPair
            || object instanceof PKCS8EncryptedPrivateKeyInfo
            || object instanceof PEMEncryptedKeyPair) {
          return object;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new PkiException(Problem.MALFORMED, "the private key PEM does not parse");
    }
    throw new PkiException(Problem.NOT_PEM, "no private key PEM block found");
  }

  private static PrivateKey toKey(PrivateKeyInfo info) throws PkiException {
    try {
      // The JDK's key classes: every provider accepts them (see CsrChecker#jdkKey).
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException | RuntimeException e) {
      throw new PkiException(Problem.UNSUPPORTED_KEY, "the private key is of an unsupported type or does not parse");
    }
  }
}
