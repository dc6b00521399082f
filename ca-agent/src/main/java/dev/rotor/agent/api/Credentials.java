package dev.rotor.agent.api;

import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An immutable snapshot of one key pair and the certificate chain issued for it, with the trust
 * bundle that came with it. The agent's own identity is one; subscribers receive new snapshots
 * and never see one change under them.
 *
 * @param key the private key, never logged
 * @param chain leaf first, then the issuing CA(s)
 * @param bundle the trust anchors published with this certificate
 */
public record Credentials(PrivateKey key, List<X509Certificate> chain, TrustBundle bundle) {

  public Credentials {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a certificate chain needs a leaf");
    }
  }

  /** Builds credentials from a key and a signing response, checking that the certificate is for this key. */
  public static Credentials of(PrivateKey key, Issued issued) throws PkiException {
    if (!PrivateKeys.matches(issued.leaf().getPublicKey(), key)) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the issued certificate is not for the key we sent");
    }
    return new Credentials(key, issued.chain(), issued.bundle());
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** Lower-case hex serial, as the server writes it. */
  public String serial() {
    return leaf().getSerialNumber().toString(16);
  }

  /** Whether the leaf has expired at {@code now}. */
  public boolean isExpired(Instant now) {
    return !now.isBefore(notAfter());
  }

  /** The URI SAN of the leaf, if it has one. */
  public Optional<String> spiffeId() {
    return spiffeIdOf(leaf());
  }

  /** The certificate's SPIFFE ID: its one URI SAN, a valid SPIFFE ID. */
  public static Optional<String> spiffeIdOf(X509Certificate cert) {
    return dev.rotor.pki.SpiffeId.fromCertificate(cert).map(Object::toString);
  }

  @Override
  public String toString() {
    // Never print the key.
    return "Credentials[" + spiffeId().orElse("?") + ", serial=" + serial() + ", notAfter=" + notAfter() + "]";
  }
}
