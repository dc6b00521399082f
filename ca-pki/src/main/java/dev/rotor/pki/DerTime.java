package dev.rotor.pki;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x509.Time;

/**
 * X.509 validity times (RFC 5280 §4.1.2.5): UTCTime {@code YYMMDDHHMMSSZ} through 2049, then
 * GeneralizedTime {@code YYYYMMDDHHMMSSZ}, always Zulu, always with seconds.
 *
 * <p>Written out directly because BouncyCastle's {@code new Time(Date)} formats through
 * {@code SimpleDateFormat} and parses the result back, which profiling showed to be the single
 * largest Java cost of signing a leaf certificate.
 */
final class DerTime {

  private static final byte UTC_TIME = 0x17;
  private static final byte GENERALIZED_TIME = 0x18;

  private DerTime() {}

  static Time of(Instant instant) {
    try {
      return Time.getInstance(ASN1Primitive.fromByteArray(encode(instant)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + instant, e);
    }
  }

  /** The DER encoding (tag, length, contents) of the time. */
  static byte[] encode(Instant instant) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
    int year = t.getYear();
    if (year < 1950 || year > 9999) {
      throw new IllegalArgumentException("time outside what X.509 can encode: " + instant);
    }
    boolean utc = year < 2050;
    byte[] der = new byte[utc ? 15 : 17];
    der[0] = utc ? UTC_TIME : GENERALIZED_TIME;
    der[1] = (byte) (der.length - 2);
    int i = 2;
    if (!utc) {
      i = two(der, i, year / 100);
    }
    i = two(der, i, year % 100);
    i = two(der, i, t.getMonthValue());
    i = two(der, i, t.getDayOfMonth());
    i = two(der, i, t.getHour());
    i = two(der, i, t.getMinute());
    i = two(der, i, t.getSecond());
    der[i] = 'Z';
    return der;
  }

  private static int two(byte[] out, int i, int value) {
    out[i] = (byte) ('0' + value / 10);
    out[i + 1] = (byte) ('0' + value % 10);
    return i + 2;
  }
}
