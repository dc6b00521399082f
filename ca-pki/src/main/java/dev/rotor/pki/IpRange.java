package dev.rotor.pki;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A CIDR range of IPv4 or IPv6 addresses: {@code 10.0.0.0/8}, {@code fd00::/8}; a bare address is
 * a {@code /32} or {@code /128}.
 *
 * <p>Parsing is strict, because a range is a security boundary and a typo must not widen it
 * quietly: IPv4 is four decimal octets without leading zeros ({@code 10.1} or {@code 010.0.0.0}
 * are refused rather than read the way {@code inet_aton} would), the prefix is plain decimal, and
 * host bits below the prefix are refused ({@code 10.1.0.0/8}: did the operator mean {@code /16}?)
 * instead of being masked off as Go's {@code net.ParseCIDR} does. IPv4-mapped IPv6 ranges
 * ({@code ::ffff:10.0.0.0/104}) are refused too: a mapped address in a CSR is read as the IPv4
 * address it carries, so it is matched against IPv4 ranges, and the range is written as IPv4.
 *
 * @param network the first address of the range (no bits set below the prefix)
 * @param prefix the number of leading bits every address in the range shares
 */
public record IpRange(InetAddress network, int prefix) {

  private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]*:[0-9a-f:.]*");
  private static final Pattern PREFIX = Pattern.compile("0|[1-9][0-9]{0,2}");

  /** Validates the prefix length for the address family and that no host bits are set. */
  public IpRange {
    int bits = network.getAddress().length * 8;
    if (prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException("prefix /" + prefix + " is outside 0.." + bits);
    }
    if (!Arrays.equals(network.getAddress(), mask(network.getAddress(), prefix))) {
      throw new IllegalArgumentException("host bits are set below /" + prefix);
    }
  }

  /**
   * Parses {@code address/prefix} or a bare address.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static IpRange parse(String cidr) {
    String s = cidr.strip().toLowerCase(java.util.Locale.ROOT);
    int slash = s.indexOf('/');
    String text = slash < 0 ? s : s.substring(0, slash);
    byte[] address = parseAddress(text, cidr);
    int bits = address.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      if (!PREFIX.matcher(p).matches() || Integer.parseInt(p) > bits) {
        throw bad(cidr, "the prefix length must be a number from 0 to " + bits);
      }
      prefix = Integer.parseInt(p);
    }
    byte[] network = mask(address, prefix);
    if (!Arrays.equals(address, network)) {
      throw bad(cidr, "host bits are set below /" + prefix + " (the range would be " + format(network) + "/" + prefix + ")");
    }
    return new IpRange(inet(network), prefix);
  }

  /** Whether {@code address} is in this range; an IPv4-mapped IPv6 address counts as its IPv4 address. */
  public boolean contains(InetAddress address) {
    byte[] a = unmapped(address.getAddress());
    byte[] n = network.getAddress();
    return a.length == n.length && Arrays.equals(mask(a, prefix), n);
  }

  /** {@code 10.0.0.0/8}, {@code fd00::/8} (RFC 5952 text for IPv6). */
  @Override
  public String toString() {
    return format(network.getAddress()) + "/" + prefix;
  }

  /** The 4 or 16 bytes of an address literal; never a DNS look-up. */
  private static byte[] parseAddress(String text, String cidr) {
    if (IPV4.matcher(text).matches()) {
      byte[] b = new byte[4];
      String[] octets = text.split("\\.");
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(octets[i]);
        if (v > 255) {
          throw bad(cidr, "an IPv4 octet is above 255");
        }
        b[i] = (byte) v;
      }
      return b;
    }
    if (!IPV6.matcher(text).matches()) {
      throw bad(cidr, "not an IPv4 address (four decimal octets, no leading zeros) or an IPv6 address");
    }
    InetAddress a;
    try {
      // A literal with ':' is parsed, never looked up.
      a = InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw bad(cidr, "not a valid IPv6 address");
    }
    if (a instanceof Inet4Address) {
      // The JDK reads ::ffff:a.b.c.d as IPv4, and so are such addresses in CSRs.
      throw bad(cidr, "an IPv4-mapped IPv6 address; write the range as IPv4");
    }
    return a.getAddress();
  }

  private static byte[] unmapped(byte[] a) {
    if (a.length != 16) {
      return a;
    }
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return a;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff ? Arrays.copyOfRange(a, 12, 16) : a;
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (0xff00 >> keep);
    }
    return out;
  }

  private static InetAddress inet(byte[] address) {
    try {
      return InetAddress.getByAddress(address);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // only for a length other than 4 or 16
    }
  }

  /** IPv4 dotted decimal; IPv6 per RFC 5952 §4 (lower case, the longest run of two or more zero groups as ::). */
  static String format(byte[] a) {
    if (a.length == 4) {
      return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }

  private static IllegalArgumentException bad(String cidr, String why) {
    return new IllegalArgumentException("\"" + cidr.strip() + "\" is not an IP range: " + why);
  }
}
