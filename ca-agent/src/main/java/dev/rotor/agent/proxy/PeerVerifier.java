package dev.rotor.agent.proxy;

import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a peer's certificate chain as the proxy requires: present, within its validity, chaining
 * to the current trust bundle (PKIX, which also enforces the CA's name constraints), not revoked,
 * exactly one SPIFFE URI SAN, and that ID allowed by the listener's patterns.
 */
public final class PeerVerifier {

  private static final int MAX_VALIDATED = 10_000;

  private final IdentitySource identities;
  private final RevocationSet revoked;
  private final Clock clock;
  /**
   * Leaves whose chain passed PKIX validation, with the bundle it passed against: the same peer
   * opens many connections, and a resumed session is checked again after its handshake, so path
   * validation (the costly part) runs once per certificate and bundle. Validity and revocation
   * are still checked every time.
   */
  private final Map<X509Certificate, List<X509Certificate>> validated = new ConcurrentHashMap<>();

  public PeerVerifier(IdentitySource identities, RevocationSet revoked, Clock clock) {
    this.identities = identities;
    this.revoked = revoked;
    this.clock = clock;
  }

  /** The peer's SPIFFE ID when every check passes; {@link PeerRejected} with the reason otherwise. */
  public String verify(X509Certificate[] chain, List<IdPattern> allowed) throws PeerRejected {
    if (chain == null || chain.length == 0) {
      throw new PeerRejected(DenyReason.NO_CERTIFICATE, "the peer presented no certificate");
    }
    X509Certificate leaf = chain[0];
    Date now = Date.from(clock.instant());
    try {
      leaf.checkValidity(now);
    } catch (CertificateException e) {
      throw new PeerRejected(DenyReason.EXPIRED, "the peer certificate " + serial(leaf) + " is not valid now (" + e.getMessage() + ")");
    }
    List<X509Certificate> bundle = identities.bundle();
    if (validated.get(leaf) != bundle) {
      validatePath(chain, bundle, now);
      if (validated.size() >= MAX_VALIDATED) {
        validated.clear();
      }
      validated.put(leaf, bundle);
    }
    if (revoked.isRevoked(serial(leaf))) {
      throw new PeerRejected(DenyReason.REVOKED, "the peer certificate " + serial(leaf) + " is revoked");
    }
    String id = spiffeId(leaf);
    if (id == null) {
      throw new PeerRejected(DenyReason.IDENTITY_NOT_ALLOWED, "the peer certificate carries no single SPIFFE ID");
    }
    if (!IdPattern.anyMatches(allowed, id)) {
      throw new PeerRejected(DenyReason.IDENTITY_NOT_ALLOWED, id + " is not allowed here");
    }
    return id;
  }

  private void validatePath(X509Certificate[] chain, List<X509Certificate> bundle, Date now) throws PeerRejected {
    if (bundle.isEmpty()) {
      throw new PeerRejected(DenyReason.UNTRUSTED, "no trust bundle yet");
    }
    // The bundle's rule (TrustBundle.check): an issuing CA the bundle lists, and PKIX to one of its roots.
    try {
      dev.rotor.agent.api.TrustBundle.check(Arrays.asList(chain), bundle, now.toInstant());
    } catch (CertPathValidatorException e) {
      if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
          || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
        throw new PeerRejected(DenyReason.EXPIRED, "a certificate in the peer's chain is not valid now");
      }
      throw new PeerRejected(DenyReason.UNTRUSTED, "the peer's chain does not lead to the trust bundle: " + e.getMessage());
    } catch (java.security.GeneralSecurityException e) {
      throw new PeerRejected(DenyReason.UNTRUSTED, "the peer's chain cannot be checked: " + e.getMessage());
    }
  }

  /** Lower-case hex serial without leading zeros, as the server's APIs write it. */
  public static String serial(X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }

  /** The certificate's SPIFFE ID (exactly one URI SAN, a valid SPIFFE ID), or null. */
  public static String spiffeId(X509Certificate cert) {
    return dev.rotor.pki.SpiffeId.fromCertificate(cert).map(Object::toString).orElse(null);
  }
}
