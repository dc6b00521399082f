package dev.rotor.pki;

/**
 * A non-recursive walk over DER bytes that runs before BouncyCastle or the JDK parse them.
 *
 * <p>Both parsers recurse once per nesting level, so a few kilobytes of nested SEQUENCE headers
 * would end in a {@link StackOverflowError} instead of a clean refusal. This walk bounds the depth,
 * requires definite lengths (DER, X.690 §10.1) and checks that every length fits its parent, in
 * time linear in the input.
 */
final class DerLimits {

  /** Far deeper than any certificate, CSR or OCSP request needs (they stay below 12). */
  static final int MAX_DEPTH = 32;

  private DerLimits() {}

  /**
   * Checks that {@code der} is exactly one TLV with definite lengths nested at most
   * {@link #MAX_DEPTH} deep.
   *
   * @return null when the structure is acceptable, else a short reason
   */
  static String check(byte[] der) {
    if (der == null || der.length == 0) {
      return "empty input";
    }
    // Each stack slot holds the end offset of an open constructed value.
    int[] ends = new int[MAX_DEPTH + 1];
    int depth = 0;
    ends[0] = der.length;
    int pos = 0;
    boolean first = true;
    while (true) {
      while (depth > 0 && pos == ends[depth]) {
        depth--;
      }
      if (pos == ends[depth]) {
        // Only reachable at depth 0: the whole input has been consumed.
        return null;
      }
      if (depth == 0 && !first) {
        return "trailing data after the DER value";
      }
      first = false;
      int tagByte = der[pos++] & 0xff;
      if ((tagByte & 0x1f) == 0x1f) {
        // High tag number form: base-128 digits, at most 4 of them for any sane tag.
        int n = 0;
        while (true) {
          if (pos >= ends[depth]) {
            return "truncated tag";
          }
          int b = der[pos++] & 0xff;
          if (++n > 4) {
            return "tag number too large";
          }
          if ((b & 0x80) == 0) {
            break;
          }
        }
      }
      if (pos >= ends[depth]) {
        return "truncated length";
      }
      int lenByte = der[pos++] & 0xff;
      long length;
      if (lenByte < 0x80) {
        length = lenByte;
      } else if (lenByte == 0x80) {
        return "indefinite length";
      } else {
        int octets = lenByte & 0x7f;
        if (octets > 4) {
          return "length too large";
        }
        length = 0;
        for (int i = 0; i < octets; i++) {
          if (pos >= ends[depth]) {
            return "truncated length";
          }
          length = (length << 8) | (der[pos++] & 0xff);
        }
      }
      if (length > ends[depth] - pos) {
        return "length exceeds the enclosing value";
      }
      int end = pos + (int) length;
      boolean constructed = (tagByte & 0x20) != 0;
      if (constructed) {
        if (depth + 1 > MAX_DEPTH) {
          return "nested too deeply";
        }
        ends[++depth] = end;
      } else {
        pos = end;
      }
    }
  }

  /**
   * The exact bytes (tag, length and contents) of the first element inside the outer constructed
   * value of {@code der}; call only on input {@link #check} accepted.
   */
  static byte[] firstElement(byte[] der) {
    int pos = headerLength(der, 0);
    int len = headerLength(der, pos) + (int) contentLength(der, pos);
    return java.util.Arrays.copyOfRange(der, pos, pos + len);
  }

  private static int headerLength(byte[] der, int at) {
    int pos = at + 1;
    if ((der[at] & 0x1f) == 0x1f) {
      while ((der[pos++] & 0x80) != 0) {
        // skip the base-128 digits of a high tag number
      }
    }
    int lenByte = der[pos++] & 0xff;
    if (lenByte >= 0x80) {
      pos += lenByte & 0x7f;
    }
    return pos - at;
  }

  private static long contentLength(byte[] der, int at) {
    int pos = at + 1;
    if ((der[at] & 0x1f) == 0x1f) {
      while ((der[pos++] & 0x80) != 0) {
        // skip the base-128 digits of a high tag number
      }
    }
    int lenByte = der[pos++] & 0xff;
    if (lenByte < 0x80) {
      return lenByte;
    }
    long length = 0;
    for (int i = 0; i < (lenByte & 0x7f); i++) {
      length = (length << 8) | (der[pos++] & 0xff);
    }
    return length;
  }
}
