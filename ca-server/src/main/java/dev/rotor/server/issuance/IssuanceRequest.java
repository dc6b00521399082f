package dev.rotor.server.issuance;

import dev.rotor.pki.SubjectNames;
import java.util.Map;
import java.util.Optional;

/**
 * What every door turns its input into.
 *
 * @param csrPem the PKCS#10 request, PEM
 * @param names the names the requester is asking for; empty means "the SANs of the CSR", which
 *     the policy then checks like any other request (a door that knows the identity itself, like
 *     the agent API, passes it here and the CSR's own SANs are ignored)
 * @param profile profile name
 * @param ttlSeconds requested lifetime, or null for the profile's default
 * @param requester the authenticated principal, e.g. {@code token:ci-bot}
 * @param channel the door
 * @param requestKey an idempotency key from the door (a CertificateRequest's UID): recorded in the
 *     same transaction as the certificate, so a second issuance under the same key is refused with
 *     {@link dev.rotor.server.ErrorCode#CONFLICT} and records nothing
 * @param auditDetails what the door knows about the request beyond the requester (a
 *     CertificateRequest's namespace, name, UID and groups), added to the details of the
 *     {@code certificate.issued} audit entry written in the same transaction as the certificate
 * @param doorRecord what the door records about the issuance (an ACME order becoming valid, with
 *     its audit entry), written in the same transaction as the certificate, so that the two commit
 *     together or not at all; it must not throw for an outcome, only for a database failure (which
 *     fails the issuance)
 */
public record IssuanceRequest(
    String csrPem,
    Optional<SubjectNames> names,
    String profile,
    Integer ttlSeconds,
    String requester,
    Channel channel,
    Optional<String> requestKey,
    Map<String, Object> auditDetails,
    DoorRecord doorRecord) {

  /** The door's own record of an issuance, inside the certificate's final transaction. */
  @FunctionalInterface
  public interface DoorRecord {
    DoorRecord NONE = (tx, serialHex) -> {};

    void write(dev.rotor.server.store.Journal.Tx tx, String serialHex) throws Exception;
  }

  public IssuanceRequest {
    auditDetails = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(auditDetails));
  }

  /** A request whose door records nothing with the certificate. */
  public IssuanceRequest(String csrPem, Optional<SubjectNames> names, String profile, Integer ttlSeconds, String requester,
      Channel channel, Optional<String> requestKey, Map<String, Object> auditDetails) {
    this(csrPem, names, profile, ttlSeconds, requester, channel, requestKey, auditDetails, DoorRecord.NONE);
  }

  /** A request without an idempotency key or extra audit details. */
  public IssuanceRequest(String csrPem, Optional<SubjectNames> names, String profile, Integer ttlSeconds, String requester,
      Channel channel) {
    this(csrPem, names, profile, ttlSeconds, requester, channel, Optional.empty(), Map.of());
  }
}
