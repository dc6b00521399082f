package dev.rotor.server.acme;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * How validation finds things: {@code ROTOR_ACME_STATIC_HOSTS} first, then DNS through
 * {@code ROTOR_ACME_DNS_SERVER} (dnsjava, no cache) or, when that is unset, the system resolver.
 */
public final class HostResolver {

  private final StaticHosts staticHosts;
  private final Optional<Resolver> dns;

  public HostResolver(StaticHosts staticHosts, Optional<String> dnsServer) {
    this.staticHosts = staticHosts;
    this.dns = dnsServer.map(HostResolver::simpleResolver);
  }

  private static Resolver simpleResolver(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    try {
      SimpleResolver r = colon > 0 && !hostPort.endsWith("]")
          ? new SimpleResolver(hostPort.substring(0, colon).replace("[", "").replace("]", ""))
          : new SimpleResolver(hostPort);
      if (colon > 0) {
        r.setPort(Integer.parseInt(hostPort.substring(colon + 1)));
      }
      r.setTimeout(java.time.Duration.ofSeconds(5));
      return r;
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("ROTOR_ACME_DNS_SERVER: expected host:port, got " + hostPort);
    }
  }

  /** The addresses of {@code host} (an IP literal resolves to itself). */
  public List<InetAddress> addresses(String host) throws AcmeException {
    if (host.matches("[0-9.]+") || host.contains(":")) {
      try {
        return List.of(InetAddress.getByName(host));
      } catch (UnknownHostException e) {
        throw new AcmeException(AcmeError.DNS, "bad address " + host);
      }
    }
    Optional<InetAddress> fixed = staticHosts.lookup(host);
    if (fixed.isPresent()) {
      return List.of(fixed.get());
    }
    if (dns.isEmpty()) {
      try {
        return List.of(InetAddress.getAllByName(host));
      } catch (UnknownHostException e) {
        throw new AcmeException(AcmeError.DNS, "no address found for " + host);
      }
    }
    List<InetAddress> out = new ArrayList<>();
    for (Record r : lookup(host, Type.A)) {
      out.add(((ARecord) r).getAddress());
    }
    for (Record r : lookup(host, Type.AAAA)) {
      out.add(((AAAARecord) r).getAddress());
    }
    if (out.isEmpty()) {
      throw new AcmeException(AcmeError.DNS, "no A or AAAA record for " + host);
    }
    return out;
  }

  /** The TXT strings at {@code name}. */
  public List<String> txt(String name) throws AcmeException {
    List<String> out = new ArrayList<>();
    for (Record r : lookup(name, Type.TXT)) {
      out.addAll(((TXTRecord) r).getStrings());
    }
    return out;
  }

  private List<Record> lookup(String name, int type) {
    Lookup l;
    try {
      l = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type);
    } catch (TextParseException e) {
      throw new AcmeException(AcmeError.DNS, "not a DNS name: " + name);
    }
    dns.ifPresent(l::setResolver);
    l.setCache(null);
    Record[] records = l.run();
    int result = l.getResult();
    if (result == Lookup.SUCCESSFUL && records != null) {
      return List.of(records);
    }
    if (result == Lookup.HOST_NOT_FOUND || result == Lookup.TYPE_NOT_FOUND) {
      return List.of();
    }
    throw new AcmeException(AcmeError.DNS, "DNS look-up of " + Type.string(type) + " " + name + " failed: " + l.getErrorString());
  }
}
