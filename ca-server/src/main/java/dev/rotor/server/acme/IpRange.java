package dev.rotor.server.acme;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** A CIDR range ({@code 10.0.0.0/8}, {@code fd00::/8}); a bare address is a /32 or /128. */
public record IpRange(InetAddress network, int prefix) {

  public static IpRange parse(String cidr) {
    String s = cidr.trim();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    if (!addr.matches("[0-9a-fA-F:.]+")) {
      throw new IllegalArgumentException("not an IP range: " + cidr);
    }
    try {
      InetAddress a = InetAddress.getByName(addr);
      int bits = a.getAddress().length * 8;
      int prefix = slash < 0 ? bits : Integer.parseInt(s.substring(slash + 1));
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("not an IP range: " + cidr);
      }
      return new IpRange(a, prefix);
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("not an IP range: " + cidr);
    }
  }

  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    byte[] n = network.getAddress();
    if (a.length != n.length) {
      return false;
    }
    int shift = a.length * 8 - prefix;
    return new BigInteger(1, a).shiftRight(shift).equals(new BigInteger(1, n).shiftRight(shift));
  }
}
