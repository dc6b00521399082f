package dev.rotor.pki;

import java.math.BigInteger;
import java.net.URI;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * Everything that varies from one end-entity certificate to the next; {@link CertificateSigner}
 * adds what is fixed by the issuing CA.
 *
 * @param serial positive, at most 20 octets (see {@link Serials#random()})
 * @param subjectKey the subject's public key
 * @param subject the subject name; null or empty for SAN-only certificates
 * @param sans the subjectAltName entries (no emails)
 * @param notBefore the start of validity (sub-second parts are dropped: X.509 times count seconds)
 * @param notAfter the end of validity, inclusive (RFC 5280 §4.1.2.5)
 * @param usages the extended key usages, at least one
 * @param crlDistributionPoint the CRL URL, or null for no cRLDistributionPoints extension
 * @param ocspUrl the OCSP URL, or null
 * @param caIssuersUrl the URL of the issuing CA's certificate, or null
 */
public record LeafTemplate(
    BigInteger serial,
    PublicKey subjectKey,
    X500Name subject,
    SubjectNames sans,
    Instant notBefore,
    Instant notAfter,
    Set<Usage> usages,
    URI crlDistributionPoint,
    URI ocspUrl,
    URI caIssuersUrl) {

  /** Requires the non-optional fields, takes a null subject as empty and copies the usages. */
  public LeafTemplate {
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(subjectKey, "subjectKey");
    Objects.requireNonNull(sans, "sans");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(notAfter, "notAfter");
    usages = Set.copyOf(usages);
    subject = subject == null ? new X500Name(new RDN[0]) : subject;
  }
}
