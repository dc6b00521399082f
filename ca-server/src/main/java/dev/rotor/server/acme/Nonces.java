package dev.rotor.server.acme;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Anti-replay nonces (RFC 8555 §6.5) that need no state to issue and one row to spend.
 *
 * <p>A nonce is {@code base64url(issuedAt ‖ 12 random bytes ‖ HMAC-SHA256(key, both)[0..16])}. The
 * key is shared by every replica through the database, so a nonce from one replica is accepted by
 * another; issuing costs no database write (every ACME response carries a nonce). Spending inserts
 * the nonce into {@code acme_spent_nonces}: a second use anywhere finds the row (see
 * {@link AcmeStore#spendNonce} for its durability). A nonce older than
 * {@link #LIFETIME} is refused without a look-up, which is also when its row may be deleted.
 */
public final class Nonces {

  public static final Duration LIFETIME = Duration.ofMinutes(30);
  private static final int RANDOM = 12;
  private static final int MAC = 16;
  private static final int LENGTH = 8 + RANDOM + MAC;

  private final byte[] key;
  private final AcmeStore store;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final ThreadLocal<Mac> macs;

  public Nonces(byte[] key, AcmeStore store, Clock clock) {
    this.key = key.clone();
    this.store = store;
    this.clock = clock;
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(this.key, "HmacSHA256"));
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  public String issue() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH);
    b.putLong(clock.millis());
    byte[] r = new byte[RANDOM];
    random.nextBytes(r);
    b.put(r);
    b.put(mac(b.array(), 8 + RANDOM), 0, MAC);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /**
   * Checks that {@code nonce} is one of ours and still fresh, without spending it.
   *
   * @return when the nonce expires
   * @throws AcmeException badNonce
   */
  public Instant check(String nonce) {
    if (nonce == null || nonce.isEmpty()) {
      throw new AcmeException(AcmeError.BAD_NONCE, "the protected header has no nonce");
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(nonce);
    } catch (IllegalArgumentException e) {
      throw new AcmeException(AcmeError.BAD_NONCE, "the nonce is not base64url");
    }
    if (raw.length != LENGTH || nonce.contains("=")) {
      throw new AcmeException(AcmeError.BAD_NONCE, "the nonce was not issued by this server");
    }
    byte[] expected = mac(raw, 8 + RANDOM);
    byte[] got = java.util.Arrays.copyOfRange(raw, 8 + RANDOM, LENGTH);
    if (!MessageDigest.isEqual(java.util.Arrays.copyOf(expected, MAC), got)) {
      throw new AcmeException(AcmeError.BAD_NONCE, "the nonce was not issued by this server");
    }
    Instant issued = Instant.ofEpochMilli(ByteBuffer.wrap(raw).getLong());
    Instant expires = issued.plus(LIFETIME);
    if (!clock.instant().isBefore(expires) || issued.isAfter(clock.instant().plusSeconds(60))) {
      throw new AcmeException(AcmeError.BAD_NONCE, "the nonce has expired");
    }
    return expires;
  }

  /** Spends a checked nonce; badNonce if it was spent before (on any replica). */
  public void spend(String nonce, Instant expires) {
    if (!store.spendNonce(nonce, expires)) {
      throw new AcmeException(AcmeError.BAD_NONCE, "the nonce has already been used");
    }
  }

  private byte[] mac(byte[] data, int length) {
    Mac m = macs.get();
    m.update(data, 0, length);
    return m.doFinal();
  }
}
