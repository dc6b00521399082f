package dev.rotor.server.revocation;

import dev.rotor.pki.CrlBuilder;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.PkiException;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.CertificateAuthority;
import dev.rotor.server.store.PgCertificateStore;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The issuing CA's CRL: lists revoked certificates that have not yet expired (so it stays small
 * with 15-minute certificates), signed by the issuing CA, nextUpdate = thisUpdate + validity (at
 * most 1 h).
 *
 * <p>It is rebuilt when a revocation happens here, when any replica has recorded a revocation
 * since it was built (the database's revocation counter moved), and when half its validity has
 * passed, so a client never fetches one past its nextUpdate.
 */
public final class CrlPublisher {

  /** A signed CRL and when it stops being current. */
  public record Crl(byte[] der, Instant thisUpdate, Instant nextUpdate, String generation) {}

  private final CertificateAuthority ca;
  private final PgCertificateStore store;
  private final CrlBuilder builder;
  private final Clock clock;
  private final Duration validity;
  private volatile Crl current;

  public CrlPublisher(CertificateAuthority ca, PgCertificateStore store, Clock clock, Duration validity) {
    this.ca = ca;
    this.store = store;
    this.builder = new CrlBuilder(ca.issuing(), CryptoProviders.signing());
    this.clock = clock;
    this.validity = validity;
  }

  /** Marks the current CRL stale (called after a local revocation commits). */
  public void invalidate() {
    current = null;
  }

  /** The current CRL, rebuilt first if stale. */
  public Crl current() {
    Crl crl = current;
    Instant now = clock.instant();
    String generation = store.revocationGeneration();
    if (crl != null && crl.generation().equals(generation) && now.isBefore(crl.thisUpdate().plus(validity.dividedBy(2)))) {
      return crl;
    }
    return rebuild(generation, now);
  }

  private synchronized Crl rebuild(String generation, Instant now) {
    Crl crl = current;
    if (crl != null && crl.generation().equals(generation) && now.isBefore(crl.thisUpdate().plus(validity.dividedBy(2)))) {
      return crl;
    }
    Instant thisUpdate = now.truncatedTo(ChronoUnit.SECONDS);
    Instant nextUpdate = thisUpdate.plus(validity);
    try {
      byte[] der = builder.build(BigInteger.valueOf(store.nextCrlNumber()), thisUpdate, nextUpdate,
          store.revokedUnexpired(ca.issuerId(), now));
      crl = new Crl(der, thisUpdate, nextUpdate, generation);
      current = crl;
      return crl;
    } catch (PkiException e) {
      throw new RotorException(ErrorCode.INTERNAL, "cannot build the CRL", e);
    }
  }
}
