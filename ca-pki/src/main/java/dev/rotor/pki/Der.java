package dev.rotor.pki;

/**
 * Assembles DER from already-encoded pieces (X.690 §8.1: tag, definite length, contents). Used on
 * the issuance hot path, where most of a certificate's bytes are the same for every certificate.
 */
final class Der {

  private Der() {}

  /** SEQUENCE (tag 0x30) of the given encoded elements. */
  static byte[] sequence(byte[]... elements) {
    return tagged(0x30, elements);
  }

  /** A constructed element with {@code tag} around the given encoded contents. */
  static byte[] tagged(int tag, byte[]... contents) {
    int length = 0;
    for (byte[] c : contents) {
      length += c.length;
    }
    byte[] out = new byte[1 + lengthOfLength(length) + length];
    out[0] = (byte) tag;
    int i = writeLength(out, 1, length);
    for (byte[] c : contents) {
      System.arraycopy(c, 0, out, i, c.length);
      i += c.length;
    }
    return out;
  }

  /** BIT STRING with no unused bits. */
  static byte[] bitString(byte[] bits) {
    byte[] out = new byte[1 + lengthOfLength(bits.length + 1) + bits.length + 1];
    out[0] = 0x03;
    int i = writeLength(out, 1, bits.length + 1);
    out[i++] = 0x00;
    System.arraycopy(bits, 0, out, i, bits.length);
    return out;
  }

  static int lengthOfLength(int length) {
    return length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length < 0x1000000 ? 4 : 5;
  }

  static int writeLength(byte[] out, int i, int length) {
    if (length < 0x80) {
      out[i++] = (byte) length;
      return i;
    }
    int bytes = lengthOfLength(length) - 1;
    out[i++] = (byte) (0x80 | bytes);
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
      out[i++] = (byte) (length >>> shift);
    }
    return i;
  }
}
