package dev.rotor.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A PKCS#11 token (an HSM, or SoftHSM2 in tests) reached through the JDK's SunPKCS11 provider.
 *
 * <p>CA keys are generated inside the token as sensitive, non-extractable objects: the generator
 * makes a session key with {@code CKA_SENSITIVE=true, CKA_EXTRACTABLE=false}, and {@link #store}
 * makes it a token object under a label, next to its certificate (SunPKCS11's key store finds
 * private keys through their certificate). The private key never exists outside the token;
 * {@link PrivateKey#getEncoded()} of the handles returned here is {@code null}.
 *
 * <p>A JVM loads a PKCS#11 library once; providers are therefore kept per (library, slot) for the
 * life of the process and reused when a server restarts inside the same JVM (tests).
 */
public final class Pkcs11Token {

  private static final Map<String, Provider> PROVIDERS = new ConcurrentHashMap<>();

  private final Provider provider;
  private final char[] pin;
  private final String description;
  private final Object loginLock = new Object();
  private volatile KeyStore keyStore;
  /** Counts successful logins: key handles from an earlier login stop working after a logout. */
  private volatile int generation;

  private Pkcs11Token(Provider provider, char[] pin, String description) {
    this.provider = provider;
    this.pin = pin;
    this.description = description;
  }

  /**
   * Opens the token and logs in.
   *
   * @param library the PKCS#11 module (e.g. {@code /usr/lib/softhsm/libsofthsm2.so})
   * @param slot the slot id, or {@code null} for the first slot with a token
   * @param pin the user PIN (kept in memory for re-login after the token drops the session)
   * @throws PkiException never; configuration and login failures are {@link IllegalStateException}s
   *     whose message names the library and slot, never the PIN
   */
  public static Pkcs11Token open(Path library, Long slot, char[] pin) {
    Objects.requireNonNull(library, "library");
    if (!Files.isReadable(library)) {
      throw new IllegalStateException("the PKCS#11 library " + library + " does not exist or is not readable");
    }
    String key = library.toAbsolutePath() + "#" + (slot == null ? "first" : slot.toString());
    String description = library + (slot == null ? " (first slot)" : " slot " + slot);
    boolean reused = PROVIDERS.containsKey(key);
    Provider provider = PROVIDERS.computeIfAbsent(key, k -> configure(library, slot));
    Pkcs11Token token = new Pkcs11Token(provider, pin.clone(), description);
    if (reused) {
      // SunPKCS11 skips the login of a provider that is still logged in: log out first, so that
      // this PIN is checked by the token.
      token.logout();
    }
    token.login();
    return token;
  }

  private static Provider configure(Path library, Long slot) {
    String name = "rotor-" + Integer.toHexString((library.toAbsolutePath() + "#" + slot).hashCode());
    String config = "--name=" + name + "\n"
        + "library=" + library.toAbsolutePath() + "\n"
        + (slot == null ? "slotListIndex=0\n" : "slot=" + slot + "\n")
        // Generated private keys are sensitive and never extractable; store() makes them token objects.
        + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n"
        + "  CKA_TOKEN = false\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n";
    Provider base = Security.getProvider("SunPKCS11");
    if (base == null) {
      throw new IllegalStateException("this JDK has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
    }
    Provider provider;
    try {
      provider = base.configure(config);
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot load the PKCS#11 library " + library + ": " + rootMessage(e), e);
    }
    // Installed so that JCA's delayed provider selection finds it for the token's key handles.
    Security.addProvider(provider);
    return provider;
  }

  /** Logs in (again) with the PIN and reloads the key store. */
  public void login() {
    synchronized (loginLock) {
      try {
        KeyStore ks = KeyStore.getInstance("PKCS11", provider);
        ks.load(null, pin);
        keyStore = ks;
        generation++;
      } catch (GeneralSecurityException | IOException | RuntimeException e) {
        keyStore = null;
        throw new IllegalStateException("cannot log in to the PKCS#11 token " + description + ": " + rootMessage(e), e);
      }
    }
  }

  /** Logs out of the token (the session's key handles stop working until {@link #login}). */
  public void logout() {
    synchronized (loginLock) {
      try {
        if (provider instanceof AuthProvider auth) {
          auth.logout();
        }
      } catch (javax.security.auth.login.LoginException e) {
        throw new IllegalStateException("cannot log out of the PKCS#11 token " + description + ": " + rootMessage(e), e);
      }
    }
  }

  /** The provider, for key generation inside the token. */
  public Provider provider() {
    return provider;
  }

  /** Where the token is (library and slot), for messages. */
  public String description() {
    return description;
  }

  /** Generates a key pair of {@code algorithm} inside the token (a session object until {@link #store}). */
  public KeyPair generate(KeyAlgorithm algorithm) {
    return algorithm.generate(provider);
  }

  /**
   * Makes a generated key a persistent token object under {@code label}, with its certificate.
   *
   * @throws IllegalStateException if the label is taken or the token refuses
   */
  public void store(String label, PrivateKey key, X509Certificate certificate) {
    KeyStore ks = keyStore();
    try {
      if (ks.containsAlias(label)) {
        throw new IllegalStateException("the PKCS#11 token " + description + " already holds a key labelled " + label);
      }
      ks.setKeyEntry(label, key, null, new Certificate[] {certificate});
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot store the CA key in the PKCS#11 token " + description + ": " + rootMessage(e), e);
    }
  }

  /**
   * The private key labelled {@code label}, as a {@link TokenKey} that follows re-logins.
   *
   * @throws IllegalStateException if the token does not hold it (there is no fallback)
   */
  public TokenKey privateKey(String label) {
    PrivateKey handle = handle(label);
    return new TokenKey(this, label, handle.getAlgorithm());
  }

  private PrivateKey handle(String label) {
    KeyStore ks = keyStore();
    try {
      if (!(ks.getKey(label, null) instanceof PrivateKey key)) {
        throw new IllegalStateException("the PKCS#11 token " + description + " holds no private key labelled " + label);
      }
      return key;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the key " + label + " from the PKCS#11 token " + description + ": " + rootMessage(e), e);
    }
  }

  /**
   * A CA key in the token, by label. SunPKCS11's key handles die with the login session, so the
   * signers hold this instead and ask it for {@link #handle()} each time: after the token is logged
   * in again, the next signature uses a fresh handle. It has no encoding (the key never leaves the
   * token).
   */
  public static final class TokenKey implements PrivateKey {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    private final transient Pkcs11Token token;
    private final String label;
    private final String algorithm;
    private transient volatile PrivateKey handle;
    private transient volatile int handleGeneration = -1;

    private TokenKey(Pkcs11Token token, String label, String algorithm) {
      this.token = token;
      this.label = label;
      this.algorithm = algorithm;
    }

    /**
     * The provider's handle for the current login.
     *
     * @throws SigningKeyUnavailableException when the token is not logged in or lost the key
     */
    public PrivateKey handle() {
      int g = token.generation;
      PrivateKey h = handle;
      if (h == null || handleGeneration != g) {
        try {
          h = token.handle(label);
        } catch (IllegalStateException e) {
          throw new SigningKeyUnavailableException(e);
        }
        handle = h;
        handleGeneration = g;
      }
      return h;
    }

    /** The provider that signs with it. */
    public Provider provider() {
      return token.provider;
    }

    /** The key's label in the token. */
    public String label() {
      return label;
    }

    @Override
    public String getAlgorithm() {
      return algorithm;
    }

    @Override
    public String getFormat() {
      return null;
    }

    @Override
    public byte[] getEncoded() {
      return null;
    }

    @Override
    public String toString() {
      return "TokenKey[" + label + " in " + token.description + "]";
    }
  }

  /**
   * Signs a fixed message with {@code key} and verifies it with {@code certificate}'s public key:
   * the token is there, logged in, and holds the key the certificate certifies.
   */
  public boolean canSign(PrivateKey key, X509Certificate certificate, KeyAlgorithm algorithm) {
    byte[] probe = "rotor pkcs11 health probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try {
      Signature s = Signature.getInstance(algorithm.signatureAlgorithm(), provider);
      s.initSign(key instanceof TokenKey t ? t.handle() : key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(algorithm.signatureAlgorithm());
      v.initVerify(certificate.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private KeyStore keyStore() {
    KeyStore ks = keyStore;
    if (ks == null) {
      throw new IllegalStateException("not logged in to the PKCS#11 token " + description);
    }
    return ks;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  @Override
  public String toString() {
    return "Pkcs11Token[" + description + "]";
  }
}
