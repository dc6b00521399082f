package dev.rotor.server.acme;

import dev.rotor.pki.IpRange;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The ACME part of the server configuration.
 *
 * @param enabled whether the server serves ACME at all ({@code ROTOR_ACME_ENABLED}, default true)
 * @param http01Port port http-01 validation connects to (80)
 * @param tlsAlpn01Port port tls-alpn-01 validation connects to (443)
 * @param dnsServer host:port of the DNS server for TXT (and address) look-ups; empty = system resolver
 * @param staticHosts names mapped to addresses instead of DNS
 * @param permittedIps ranges IP identifiers must fall in (and the name policy's too); empty = IP identifiers refused
 * @param externalAccountRequired whether new accounts need External Account Binding
 * @param termsOfService URL clients must agree to; empty = none
 * @param ordersPerHour new orders one account may create per clock hour
 * @param pendingAuthorizations pending authorizations one account may hold
 * @param orderLifetime how long an order and its authorizations stay usable
 */
public record AcmeSettings(
    boolean enabled,
    int http01Port,
    int tlsAlpn01Port,
    Optional<String> dnsServer,
    StaticHosts staticHosts,
    List<IpRange> permittedIps,
    boolean externalAccountRequired,
    Optional<String> termsOfService,
    int ordersPerHour,
    int pendingAuthorizations,
    Duration orderLifetime) {

  public AcmeSettings {
    permittedIps = List.copyOf(permittedIps);
    if (ordersPerHour < 1 || pendingAuthorizations < 1) {
      throw new IllegalArgumentException("ROTOR_ACME_ORDERS_PER_HOUR and ROTOR_ACME_PENDING_AUTHORIZATIONS must be at least 1");
    }
  }

  public static AcmeSettings defaults() {
    return new AcmeSettings(true, 80, 443, Optional.empty(), StaticHosts.parse(""), List.of(), false, Optional.empty(),
        300, 300, Duration.ofHours(1));
  }
}
