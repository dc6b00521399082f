package dev.rotor.pki;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The JCA providers Rotor signs and verifies with.
 *
 * <p>Issuance costs one ECDSA verify (the CSR) and one ECDSA sign (the certificate). The JDK's
 * SunEC verifies P-256 at about a third of what BouncyCastle does, and both are several times
 * slower than AWS-LC, so Rotor prefers the Amazon Corretto Crypto Provider (AWS-LC through JNI)
 * where its native library loads, and falls back to pure-Java BouncyCastle everywhere else.
 * {@code ROTOR_CRYPTO_PROVIDER=bc} (or the system property {@code rotor.crypto.provider=bc}) forces
 * the fallback, for platforms where the native library misbehaves and for comparisons.
 */
public final class CryptoProviders {

  private static final Provider BC = new BouncyCastleProvider();
  private static final Provider SIGNING = choose();

  private CryptoProviders() {}

  /** The provider for signatures, signature verification and key generation on the hot path. */
  public static Provider signing() {
    return SIGNING;
  }

  /** BouncyCastle, for what only it offers (PKCS#8 PBES2 encryption helpers, ASN.1 odds and ends). */
  public static Provider bouncyCastle() {
    return BC;
  }

  /** True when the native AWS-LC provider is the signing provider. */
  public static boolean isNative() {
    return SIGNING != BC;
  }

  /**
   * Puts the signing provider first in the JVM's provider list so that JSSE (TLS handshakes and
   * record encryption) uses it too. Idempotent; does nothing when the fallback is in use.
   */
  public static synchronized void installForTls() {
    if (isNative() && Security.getProvider(SIGNING.getName()) == null) {
      AmazonCorrettoCryptoProvider.install();
    }
  }

  private static Provider choose() {
    String wanted = System.getProperty("rotor.crypto.provider", System.getenv("ROTOR_CRYPTO_PROVIDER"));
    if (wanted != null && wanted.equalsIgnoreCase("bc")) {
      return BC;
    }
    try {
      AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      if (accp.getLoadingError() == null) {
        accp.assertHealthy();
        return accp;
      }
    } catch (LinkageError | RuntimeException e) {
      // No native library for this platform: the pure-Java fallback below is correct, only slower.
    }
    return BC;
  }
}
