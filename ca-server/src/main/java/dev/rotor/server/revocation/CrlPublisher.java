package dev.rotor.server.revocation;

import dev.rotor.pki.CrlBuilder;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.PkiException;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.ca.CertificateAuthority;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import dev.rotor.server.store.PgCertificateStore;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One CRL per issuing CA still in the bundle ({@code /crl/<id>}, each leaf's CRL distribution
 * point; {@code /crl} is the active CA's): lists revoked certificates that have not yet expired (so it stays small
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

  private final ActiveCa ca;
  private final PgCertificateStore store;
  private final Clock clock;
  private final Duration validity;
  private final Map<Integer, CrlBuilder> builders = new ConcurrentHashMap<>();
  private final Map<Integer, Crl> current = new ConcurrentHashMap<>();

  public CrlPublisher(ActiveCa ca, PgCertificateStore store, Clock clock, Duration validity) {
    this.ca = ca;
    this.store = store;
    this.clock = clock;
    this.validity = validity;
  }

  /** Marks the current CRLs stale (called after a local revocation commits). */
  public void invalidate() {
    current.clear();
  }

  /** The active issuing CA's current CRL, rebuilt first if stale. */
  public Crl current() {
    return current(ca.current().issuerId()).orElseThrow();
  }

  /** The current CRL of intermediate {@code issuerId}; empty once it has left the bundle. */
  public Optional<Crl> current(int issuerId) {
    Optional<CertificateAuthority.Issuer> issuer = ca.current().issuer(issuerId);
    if (issuer.isEmpty()) {
      return Optional.empty();
    }
    Crl crl = current.get(issuerId);
    Instant now = clock.instant();
    String generation = store.revocationGeneration();
    if (crl != null && crl.generation().equals(generation) && now.isBefore(crl.thisUpdate().plus(validity.dividedBy(2)))) {
      return Optional.of(crl);
    }
    return Optional.of(rebuild(issuer.get(), generation, now));
  }

  private synchronized Crl rebuild(CertificateAuthority.Issuer issuer, String generation, Instant now) {
    Crl crl = current.get(issuer.id());
    if (crl != null && crl.generation().equals(generation) && now.isBefore(crl.thisUpdate().plus(validity.dividedBy(2)))) {
      return crl;
    }
    Instant thisUpdate = now.truncatedTo(ChronoUnit.SECONDS);
    Instant nextUpdate = thisUpdate.plus(validity);
    try {
      CrlBuilder builder = builders.computeIfAbsent(issuer.id(), id -> new CrlBuilder(issuer.ca(), CryptoProviders.signing()));
      byte[] der = builder.build(BigInteger.valueOf(store.nextCrlNumber()), thisUpdate, nextUpdate,
          store.revokedUnexpired(issuer.id(), now));
      crl = new Crl(der, thisUpdate, nextUpdate, generation);
      current.put(issuer.id(), crl);
      return crl;
    } catch (PkiException e) {
      throw new RotorException(ErrorCode.INTERNAL, "cannot build the CRL", e);
    }
  }
}
