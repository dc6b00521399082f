package dev.rotor.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;

/**
 * Builds X.509 v2 CRLs (RFC 5280 §5) signed directly by a CA.
 *
 * <p>CRL extensions: authorityKeyIdentifier (§5.2.1: "MUST" be included) and cRLNumber (§5.2.3:
 * "MUST" be included), both non-critical. Each entry carries a reasonCode extension except when
 * the reason is unspecified (§5.3.1: "the reason code CRL entry extension SHOULD be absent instead
 * of using the unspecified (0) reasonCode value"). With no entries the revokedCertificates field is
 * absent (§5.1.2.6). Thread-safe.
 */
public final class CrlBuilder {

  private final JcaSigner signer;
  private final X500Name issuer;
  private final AuthorityKeyIdentifier authorityKeyId;

  /**
   * @param ca the CA that signs the CRL and whose certificates it lists
   * @param provider signs
   */
  public CrlBuilder(SigningCa ca, Provider provider) {
    Objects.requireNonNull(ca, "ca");
    this.signer = new JcaSigner(ca.algorithm().signatureAlgorithm(), ca.privateKey(), provider);
    this.issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    this.authorityKeyId = new AuthorityKeyIdentifier(ca.subjectKeyIdentifier());
  }

  /**
   * Builds and signs a CRL; returns its DER.
   *
   * @param crlNumber monotonically increasing, non-negative, at most 20 octets (§5.2.3)
   * @param thisUpdate the issue time
   * @param nextUpdate when the next CRL will be issued, after thisUpdate
   * @param revoked the revoked certificates, in the order they should be listed
   * @throws IllegalArgumentException for an invalid crlNumber or times out of order
   */
  public byte[] build(BigInteger crlNumber, Instant thisUpdate, Instant nextUpdate, List<RevokedEntry> revoked)
      throws PkiException {
    if (crlNumber.signum() < 0 || crlNumber.toByteArray().length > 20) {
      // §5.2.3: "CRL issuers MUST NOT use CRLNumber values longer than 20 octets."
      throw new IllegalArgumentException("crlNumber must be non-negative and at most 20 octets");
    }
    Instant from = thisUpdate.truncatedTo(ChronoUnit.SECONDS);
    Instant until = nextUpdate.truncatedTo(ChronoUnit.SECONDS);
    if (!until.isAfter(from)) {
      throw new IllegalArgumentException("nextUpdate must be after thisUpdate");
    }
    X509v2CRLBuilder builder = new X509v2CRLBuilder(issuer, Date.from(from));
    builder.setNextUpdate(Date.from(until));
    for (RevokedEntry entry : revoked) {
      int reason = entry.reason() == RevocationReason.unspecified ? 0 : entry.reason().code();
      // BouncyCastle leaves out the reasonCode extension exactly when the code is 0.
      builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt().truncatedTo(ChronoUnit.SECONDS)), reason);
    }
    try {
      builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId);
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(crlNumber));
      return builder.build(signer.newSigner()).getEncoded();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("signing the CRL failed", e);
    }
  }
}
