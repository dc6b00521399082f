package dev.rotor.pki;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Certificate serial numbers. */
public final class Serials {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int BITS = 128;
  private static final int MAX_HEX = 40;

  private Serials() {}

  /**
   * A fresh serial: 128 bits from a {@link SecureRandom}, positive and non-zero.
   *
   * <p>RFC 5280 §4.1.2.2: the serial "MUST be a positive integer" and conforming CAs "MUST NOT use
   * serialNumber values longer than 20 octets"; 128 random bits encode in at most 17 octets (a
   * leading zero octet when the top bit is set). Unpredictable serials are also what the CA/B
   * Baseline Requirements ask for (at least 64 bits of CSPRNG output).
   */
  public static BigInteger random() {
    BigInteger serial;
    do {
      serial = new BigInteger(BITS, RANDOM);
    } while (serial.signum() == 0);
    return serial;
  }

  /** Lower-case hex without leading zeros ({@code "0"} for zero): {@code serial.toString(16)}. */
  public static String toHex(BigInteger serial) {
    return serial.toString(16);
  }

  /**
   * Parses 1–40 hex digits (either case; 40 digits is the 20-octet limit of RFC 5280 §4.1.2.2).
   *
   * @throws PkiException {@code MALFORMED} for anything else, including signs and whitespace
   */
  public static BigInteger fromHex(String hex) throws PkiException {
    if (hex == null || hex.isEmpty() || hex.length() > MAX_HEX) {
      throw new PkiException(PkiException.Problem.MALFORMED, "a serial number is 1 to 40 hex digits");
    }
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      boolean isHex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!isHex) {
        throw new PkiException(PkiException.Problem.MALFORMED, "a serial number is 1 to 40 hex digits");
      }
    }
    return new BigInteger(hex, 16);
  }

  /**
   * Returns {@code serial} if it is a valid certificate serial. RFC 5280 §4.1.2.2: a "positive
   * integer", and CAs "MUST NOT use serialNumber values longer than 20 octets".
   *
   * @throws IllegalArgumentException otherwise
   */
  static BigInteger checked(BigInteger serial) {
    if (serial.signum() <= 0 || serial.toByteArray().length > 20) {
      throw new IllegalArgumentException("a serial must be positive and at most 20 octets");
    }
    return serial;
  }
}
