package dev.rotor.server.revocation;

import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.OcspResponder;
import dev.rotor.pki.OcspStatus;
import dev.rotor.pki.RevocationReason;
import dev.rotor.pki.Serials;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.ca.CertificateAuthority;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.PgCertificateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * OCSP (RFC 6960) answers from the database, signed by the CA that issued the certificate, for
 * certificates of every intermediate still in the bundle. A request naming a CA this server does
 * not serve (by the certID's issuer key hash) is answered by the active CA with status unknown.
 */
public final class OcspService {

  private final Map<Integer, OcspResponder> responders = new ConcurrentHashMap<>();
  private final PgCertificateStore store;
  private final ActiveCa ca;
  private final Clock clock;
  private final Duration validity;

  public OcspService(ActiveCa ca, PgCertificateStore store, Clock clock, Duration validity) {
    this.store = store;
    this.ca = ca;
    this.clock = clock;
    this.validity = validity;
  }

  /** A DER OCSPResponse for a DER OCSPRequest; malformed requests get a malformedRequest response. */
  public byte[] respond(byte[] requestDer) {
    CertificateAuthority snapshot = ca.current();
    CertificateAuthority.Issuer issuer = snapshot.issuers().values().stream()
        .filter(i -> i.id() != snapshot.issuerId() && responder(i).covers(requestDer))
        .findFirst()
        .orElse(snapshot.issuer(snapshot.issuerId()).orElseThrow());
    return responder(issuer).respond(requestDer, serial -> {
      Optional<CertificateRecord> found = store.find(Serials.toHex(serial));
      if (found.isEmpty() || found.get().issuerId() != issuer.id()) {
        return new OcspStatus.Unknown();
      }
      CertificateRecord r = found.get();
      if (r.revokedAt() != null) {
        return new OcspStatus.Revoked(r.revokedAt(),
            RevocationReason.fromName(r.revocationReason()).orElse(RevocationReason.unspecified));
      }
      return new OcspStatus.Good();
    }, clock.instant(), validity);
  }

  private OcspResponder responder(CertificateAuthority.Issuer issuer) {
    return responders.computeIfAbsent(issuer.id(), id -> new OcspResponder(issuer.ca(), CryptoProviders.signing()));
  }
}
