package dev.rotor.server.issuance;

import dev.rotor.server.store.PgBlockedKeyStore;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys reported compromised, held in memory so that issuance (thousands a second) asks no
 * database: read whole when the server starts, extended at once when this replica blocks a key
 * ({@link #add}, after the revocation's commit), and extended every {@code pollInterval} with the
 * rows other replicas added (an index range scan over ids above the last seen).
 *
 * <p>A key is named by the SHA-256 of its DER SubjectPublicKeyInfo, computed the same way for a
 * CSR's key and for an issued certificate's key (the certificate carries the CSR's key re-encoded
 * in DER, so the two agree).
 *
 * <p>Known limitation: a key blocked on another replica is refused here only from the next poll
 * (default 5 s); if the database is unreachable, the set stays as last read (logged).
 */
public final class BlockedKeys implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BlockedKeys.class);

  private final PgBlockedKeyStore store;
  private final Set<String> blocked = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("rotor-blocked-keys").daemon(true).factory());
  private long lastId;

  /** Reads every blocked key now (failing the start if it cannot), then polls. */
  public BlockedKeys(PgBlockedKeyStore store, Duration pollInterval) {
    this.store = store;
    refresh();
    scheduler.scheduleWithFixedDelay(this::refreshQuietly, pollInterval.toMillis(), pollInterval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Whether {@code key} was reported compromised. */
  public boolean isBlocked(PublicKey key) {
    return blocked.contains(HexFormat.of().formatHex(fingerprint(key)));
  }

  /** A key this replica blocked (its transaction committed). */
  public void add(byte[] spkiSha256) {
    blocked.add(HexFormat.of().formatHex(spkiSha256));
  }

  /** How many keys are blocked. */
  public int size() {
    return blocked.size();
  }

  /** SHA-256 of the DER SubjectPublicKeyInfo of {@code key}. */
  public static byte[] fingerprint(PublicKey key) {
    return sha256(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
  }

  /** SHA-256 of the DER SubjectPublicKeyInfo of the certificate {@code der}. */
  public static byte[] fingerprintOfCertificate(byte[] der) {
    return sha256(Certificate.getInstance(der).getSubjectPublicKeyInfo());
  }

  private static byte[] sha256(SubjectPublicKeyInfo spki) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(spki.getEncoded(ASN1Encoding.DER));
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private synchronized void refresh() {
    for (PgBlockedKeyStore.BlockedKey k : store.after(lastId)) {
      blocked.add(HexFormat.of().formatHex(k.spkiSha256()));
      lastId = Math.max(lastId, k.id());
    }
  }

  private void refreshQuietly() {
    try {
      int before = blocked.size();
      refresh();
      if (blocked.size() != before) {
        log.info("blocked keys refreshed blocked={}", blocked.size());
      }
    } catch (RuntimeException e) {
      log.warn("blocked keys refresh failed error={}", e.toString());
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
