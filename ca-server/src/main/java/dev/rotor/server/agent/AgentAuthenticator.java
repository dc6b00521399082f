package dev.rotor.server.agent;

import dev.rotor.pki.Serials;
import dev.rotor.pki.SpiffeId;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.PgCertificateStore;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * Authenticates an agent by the client certificate of its TLS connection. The TLS layer has
 * already validated the chain against the trust bundle (and the validity period); here the
 * certificate must also be one this CA issued with the {@code agent} profile (byte-for-byte the
 * recorded one), not revoked, not expired, and name an agent of our trust domain.
 *
 * <p>A certificate found in the database is cached until it expires, so the hot path (an agent
 * renewing its workloads every few seconds) pays no query per request; revocation is checked on
 * every request against the {@link dev.rotor.server.revocation.RevocationFeed}'s set, which
 * follows this replica's revocations at once and other replicas' within its poll interval (1 s).
 * Serials not found are cached for {@link #NEGATIVE_TTL} only.
 */
public final class AgentAuthenticator {

  static final Duration NEGATIVE_TTL = Duration.ofSeconds(5);
  private static final int MAX_CACHE = 100_000;

  /** An authenticated agent. */
  public record Agent(String node, SpiffeId id, String serial) {
    public String principal() {
      return "agent:" + node;
    }
  }

  private record Cached(Optional<CertificateRecord> record, Instant until) {}

  private final PgCertificateStore certificates;
  private final java.util.function.Predicate<String> revoked;
  private final String trustDomain;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  /** @param revoked whether a serial is revoked (the revocation feed's current set) */
  public AgentAuthenticator(PgCertificateStore certificates, java.util.function.Predicate<String> revoked, String trustDomain, Clock clock) {
    this.certificates = certificates;
    this.revoked = revoked;
    this.trustDomain = trustDomain;
    this.clock = clock;
  }

  public Agent authenticate(Request request) {
    EndPoint.SslSessionData ssl = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    X509Certificate[] peer = ssl == null ? null : ssl.peerCertificates();
    if (peer == null || peer.length == 0) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "present the agent certificate as the TLS client certificate");
    }
    return authenticate(peer[0]);
  }

  Agent authenticate(X509Certificate leaf) {
    Instant now = clock.instant();
    String serial = Serials.toHex(leaf.getSerialNumber());
    Optional<CertificateRecord> record = lookup(serial, now);
    byte[] der;
    try {
      der = leaf.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the client certificate cannot be encoded");
    }
    if (record.isEmpty() || !Arrays.equals(record.get().der(), der)) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the client certificate was not issued by this CA");
    }
    CertificateRecord r = record.get();
    if (r.revokedAt() != null || revoked.test(serial)) {
      throw new RotorException(ErrorCode.FORBIDDEN, "the agent certificate " + serial + " is revoked; attest again");
    }
    if (!now.isBefore(r.notAfter())) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the agent certificate " + serial + " has expired; attest again");
    }
    if (!"agent".equals(r.profile())) {
      throw new RotorException(ErrorCode.FORBIDDEN, "the client certificate is not an agent certificate");
    }
    SpiffeId id = SpiffeId.fromCertificate(leaf).orElseThrow(() ->
        new RotorException(ErrorCode.FORBIDDEN, "the client certificate carries no agent SPIFFE ID"));
    String node = AgentIds.nodeOf(id, trustDomain).orElseThrow(() ->
        new RotorException(ErrorCode.FORBIDDEN, id + " is not an agent identity of this trust domain"));
    return new Agent(node, id, serial);
  }

  private Optional<CertificateRecord> lookup(String serial, Instant now) {
    Cached c = cache.get(serial);
    if (c != null && now.isBefore(c.until())) {
      return c.record();
    }
    Optional<CertificateRecord> r = certificates.find(serial);
    if (cache.size() >= MAX_CACHE) {
      cache.clear();
    }
    cache.put(serial, new Cached(r, r.map(CertificateRecord::notAfter).orElse(now.plus(NEGATIVE_TTL))));
    return r;
  }
}
