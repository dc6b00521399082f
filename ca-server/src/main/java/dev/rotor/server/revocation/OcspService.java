package dev.rotor.server.revocation;

import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.OcspResponder;
import dev.rotor.pki.OcspStatus;
import dev.rotor.pki.RevocationReason;
import dev.rotor.pki.Serials;
import dev.rotor.server.ca.CertificateAuthority;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.PgCertificateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** OCSP (RFC 6960) answers from the database, signed by the issuing CA. */
public final class OcspService {

  private final OcspResponder responder;
  private final PgCertificateStore store;
  private final CertificateAuthority ca;
  private final Clock clock;
  private final Duration validity;

  public OcspService(CertificateAuthority ca, PgCertificateStore store, Clock clock, Duration validity) {
    this.responder = new OcspResponder(ca.issuing(), CryptoProviders.signing());
    this.store = store;
    this.ca = ca;
    this.clock = clock;
    this.validity = validity;
  }

  /** A DER OCSPResponse for a DER OCSPRequest; malformed requests get a malformedRequest response. */
  public byte[] respond(byte[] requestDer) {
    return responder.respond(requestDer, serial -> {
      Optional<CertificateRecord> found = store.find(Serials.toHex(serial));
      if (found.isEmpty() || found.get().issuerId() != ca.issuerId()) {
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
}
