package dev.rotor.server.revocation;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.RevocationReason;
import dev.rotor.server.CrashPoint;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.Metrics;
import dev.rotor.server.RotorException;
import dev.rotor.server.issuance.BlockedKeys;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgBlockedKeyStore;
import dev.rotor.server.store.PgCertificateStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Revokes certificates: recorded and audited in one committed transaction, then published (the
 * CRL is rebuilt at once; OCSP reads the database). The answer leaves only after the commit.
 *
 * <p>A revocation with reason {@code keyCompromise} also blocks the certificate's public key, in
 * the same transaction ({@code blocked_keys}), and adds it to this replica's {@link BlockedKeys}
 * before answering, so the next issuance here already refuses it. A certificate already revoked
 * for another reason may be revoked again with {@code keyCompromise}: the reason changes (the
 * revocation time stays) and the key is blocked; any other second revocation is
 * {@code ALREADY_REVOKED}.
 */
public final class RevocationService {

  private final Journal journal;
  private final PgCertificateStore store;
  private final PgBlockedKeyStore blockedKeyStore;
  private final BlockedKeys blockedKeys;
  private final CrlPublisher crl;
  private final Metrics metrics;
  private volatile Runnable onRevoked = () -> {};
  private final ObjectMapper json = new ObjectMapper();

  public RevocationService(Journal journal, PgCertificateStore store, PgBlockedKeyStore blockedKeyStore,
      BlockedKeys blockedKeys, CrlPublisher crl, Metrics metrics) {
    this.journal = journal;
    this.store = store;
    this.blockedKeyStore = blockedKeyStore;
    this.blockedKeys = blockedKeys;
    this.crl = crl;
    this.metrics = metrics;
  }

  /** Also tell {@code listener} after each committed revocation (the agents' revocation feed). */
  public void onRevoked(Runnable listener) {
    this.onRevoked = listener;
  }

  /**
   * @param serialHex lower-case hex serial
   * @param reasonName an RFC 5280 reason name ({@code keyCompromise}, ...); {@code removeFromCRL}
   *     is refused: it only has meaning in delta CRLs, and Rotor does not un-revoke
   */
  public PgCertificateStore.Revocation revoke(String serialHex, String reasonName, String actor) {
    RevocationReason reason = RevocationReason.fromName(reasonName == null ? "unspecified" : reasonName)
        .filter(r -> r != RevocationReason.removeFromCRL)
        .orElseThrow(() -> new RotorException(ErrorCode.BAD_REVOCATION_REASON,
            "unknown revocation reason " + reasonName + " (RFC 5280 names: unspecified, keyCompromise, cACompromise,"
                + " affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise)"));
    PgCertificateStore.Revocation result = journal.execute(tx -> {
      PgCertificateStore.Revocation r;
      String previousReason = null;
      try {
        r = store.revoke(tx, serialHex, reason.name());
      } catch (RotorException e) {
        // CA/B BR §4.9.1.1: a certificate revoked for another reason may be revoked again with
        // keyCompromise, which must then block its key like a first revocation would.
        if (e.code() != ErrorCode.ALREADY_REVOKED || reason != RevocationReason.keyCompromise) {
          throw e;
        }
        PgCertificateStore.Upgrade up = store.upgradeToKeyCompromise(tx, serialHex).orElseThrow(() -> e);
        r = up.revocation();
        previousReason = up.previousReason();
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("serial", serialHex);
      d.put("reason", reason.name());
      if (previousReason != null) {
        d.put("previousReason", previousReason);
      }
      d.put("revokedAt", r.revokedAt().toString());
      if (reason == RevocationReason.keyCompromise) {
        byte[] fingerprint = BlockedKeys.fingerprintOfCertificate(r.der());
        blockedKeyStore.insert(tx, fingerprint, serialHex);
        d.put("blockedKeySha256", java.util.HexFormat.of().formatHex(fingerprint));
      }
      tx.audit(actor, "certificate.revoked", serialHex, json.writeValueAsString(d));
      return r;
    });
    CrashPoint.AFTER_REVOCATION_COMMIT.reached();
    if (reason == RevocationReason.keyCompromise) {
      blockedKeys.add(BlockedKeys.fingerprintOfCertificate(result.der()));
    }
    metrics.revocation(reason.name());
    crl.invalidate();
    onRevoked.run();
    return result;
  }
}
