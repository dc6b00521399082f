package dev.rotor.server.ca;

import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.Pkcs11Token;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where the CA's private keys live, and the only place that creates or opens them: either
 * PKCS#8-encrypted in the database under the CA passphrase, or inside a PKCS#11 token (an HSM),
 * generated there and never extractable. With a token configured there is no software key at all:
 * a CA row whose key is in the database is refused rather than used.
 */
public final class CaKeys {

  /** Prefix of {@code certificate_authorities.key_ref} for a key in the PKCS#11 token. */
  static final String PKCS11_REF = "pkcs11:";

  /** How a stored key is written in its {@code certificate_authorities} row (one of the two is set). */
  public record Stored(String encryptedKey, String keyRef) {
    /** A CA whose key is not held by Rotor (imported from files the operator keeps). */
    public static final Stored NONE = new Stored(null, null);

    /** Whether Rotor holds the key (in the database or in the token). */
    public boolean held() {
      return encryptedKey != null || keyRef != null;
    }

    /** {@code pkcs11}, {@code database-encrypted} or {@code external-file}, for the audit log. */
    public String storage() {
      return keyRef != null ? "pkcs11" : encryptedKey != null ? "database-encrypted" : "external-file";
    }
  }

  private final Optional<Pkcs11Token> token;
  private final Supplier<char[]> passphrase;

  /**
   * @param token the PKCS#11 token, when CA keys live in one
   * @param passphrase the CA passphrase (read only for keys kept in the database; the caller's
   *     array is wiped after each use)
   */
  public CaKeys(Optional<Pkcs11Token> token, Supplier<char[]> passphrase) {
    this.token = token;
    this.passphrase = passphrase;
  }

  /** Whether keys live in a PKCS#11 token. */
  public boolean inToken() {
    return token.isPresent();
  }

  /** The token, when keys live in one. */
  public Optional<Pkcs11Token> token() {
    return token;
  }

  /** {@code pkcs11} or {@code database-encrypted}, for the audit log. */
  public String storage() {
    return token.isPresent() ? "pkcs11" : "database-encrypted";
  }

  /** A new key pair: inside the token, or in software. */
  public KeyPair generate(KeyAlgorithm algorithm) {
    return token.map(t -> t.generate(algorithm)).orElseGet(algorithm::generate);
  }

  /**
   * Persists a generated key: as a token object labelled {@code label}, or encrypted for the
   * database. Call before the row is inserted.
   */
  public Stored store(String label, KeyPair keys, X509Certificate certificate) {
    if (token.isPresent()) {
      token.get().store(label, keys.getPrivate(), certificate);
      return new Stored(null, PKCS11_REF + label);
    }
    char[] p = passphrase.get();
    try {
      return new Stored(PrivateKeys.encrypt(keys.getPrivate(), p), null);
    } catch (PkiException e) {
      throw new IllegalStateException("cannot encrypt the CA key: " + e.getMessage(), e);
    } finally {
      Arrays.fill(p, '\0');
    }
  }

  /**
   * The key to sign with from now on, for a key just {@link #store stored}: the token's
   * {@link dev.rotor.pki.Pkcs11Token.TokenKey} (which outlives the generating session), or the
   * generated software key.
   */
  public PrivateKey signingKey(Stored stored, KeyPair generated) {
    return stored.keyRef() != null ? load(stored, "new CA") : generated.getPrivate();
  }

  /**
   * Opens the key of a CA row.
   *
   * @throws IllegalStateException when the key is where this server cannot (or must not) read it
   */
  public PrivateKey load(Stored stored, String what) {
    if (stored.keyRef() != null) {
      if (!stored.keyRef().startsWith(PKCS11_REF)) {
        throw new IllegalStateException("the " + what + " key reference " + stored.keyRef() + " is not understood");
      }
      if (token.isEmpty()) {
        throw new IllegalStateException("the " + what + " key is in a PKCS#11 token (" + stored.keyRef()
            + "); set ROTOR_CA_PKCS11_LIBRARY, ROTOR_CA_PKCS11_SLOT and the PIN");
      }
      return token.get().privateKey(stored.keyRef().substring(PKCS11_REF.length()));
    }
    if (token.isPresent()) {
      throw new IllegalStateException("the " + what + " key is kept encrypted in the database, but ROTOR_CA_PKCS11_LIBRARY"
          + " is set: Rotor does not mix a token with software CA keys (unset it to use the database key)");
    }
    if (stored.encryptedKey() == null) {
      throw new IllegalStateException("the " + what + " was imported from PEM files; set ROTOR_CA_CERT and ROTOR_CA_KEY again");
    }
    char[] p = passphrase.get();
    try {
      return PrivateKeys.decrypt(stored.encryptedKey(), p);
    } catch (PkiException e) {
      throw new IllegalStateException("cannot decrypt the CA key: " + e.getMessage()
          + " (check ROTOR_CA_PASSPHRASE or the ca-passphrase file in the data directory)");
    } finally {
      Arrays.fill(p, '\0');
    }
  }
}
