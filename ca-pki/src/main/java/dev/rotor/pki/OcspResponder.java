package dev.rotor.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Objects;
import java.util.function.Function;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;

/**
 * Answers OCSP requests (RFC 6960) for the certificates one CA issued, signing with the CA key
 * itself: RFC 6960 §4.2.2.2 lets the CA that issued the certificate in question sign the response
 * directly, so no delegated responder certificate is needed (and the response carries no certs).
 *
 * <p>Bad requests never throw: anything that does not parse, an empty request list, more than
 * {@value #MAX_REQUESTS} single requests, or a malformed or oversized nonce gets an OCSPResponse
 * with status malformedRequest (1). A CertID whose issuer hashes do not match this CA (or that uses
 * a hash other than SHA-1 or SHA-256) is answered {@code unknown} without consulting the lookup.
 * Thread-safe.
 */
public final class OcspResponder {

  /** The most single requests answered in one response; more is refused as malformed. */
  public static final int MAX_REQUESTS = 10;

  /** The largest request accepted, in bytes. */
  public static final int MAX_REQUEST_BYTES = 64 * 1024;

  /** RFC 8954 §2.1: responders "MUST reject requests with Nonce lengths greater than 32 octets". */
  private static final int MAX_NONCE = 32;

  private static final byte[] MALFORMED = statusOnly(OCSPRespBuilder.MALFORMED_REQUEST);

  private final JcaSigner signer;
  private final RespID responderId;
  private final byte[] nameHashSha1;
  private final byte[] keyHashSha1;
  private final byte[] nameHashSha256;
  private final byte[] keyHashSha256;

  /**
   * @param ca the CA whose certificates are answered for, and whose key signs the responses
   * @param provider signs
   */
  public OcspResponder(SigningCa ca, Provider provider) {
    Objects.requireNonNull(ca, "ca");
    this.signer = new JcaSigner(ca.algorithm().signatureAlgorithm(), ca.privateKey(), provider);
    byte[] name = ca.certificate().getSubjectX500Principal().getEncoded();
    byte[] key = SubjectPublicKeyInfo.getInstance(ca.certificate().getPublicKey().getEncoded()).getPublicKeyData().getBytes();
    this.nameHashSha1 = digest("SHA-1", name);
    this.keyHashSha1 = digest("SHA-1", key);
    this.nameHashSha256 = digest("SHA-256", name);
    this.keyHashSha256 = digest("SHA-256", key);
    // RFC 6960 §4.2.1: byKey is the "SHA-1 hash of responder's public key".
    this.responderId = new RespID(new ResponderID(new DEROctetString(keyHashSha1)));
  }

  /**
   * Answers a DER OCSPRequest; returns a DER OCSPResponse.
   *
   * @param lookup the status of a serial this CA issued; a null result counts as unknown; its
   *     exceptions propagate (the caller then answers internalError or tryLater)
   * @param now producedAt and thisUpdate
   * @param validity nextUpdate = now + validity
   * @throws IllegalStateException only if signing itself fails (a broken key or HSM)
   */
  public byte[] respond(
      byte[] requestDer, Function<BigInteger, OcspStatus> lookup, Instant now, Duration validity) {
    Objects.requireNonNull(lookup, "lookup");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive");
    }
    if (requestDer == null || requestDer.length > MAX_REQUEST_BYTES || DerLimits.check(requestDer) != null) {
      return MALFORMED.clone();
    }
    OCSPReq request;
    Req[] singles;
    Extension nonce;
    try {
      request = new OCSPReq(requestDer);
      singles = request.getRequestList();
      nonce = request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
      if (nonce != null) {
        // RFC 8954 §2.1: Nonce ::= OCTET STRING(SIZE(1..32)).
        int length = ASN1OctetString.getInstance(nonce.getExtnValue().getOctets()).getOctets().length;
        if (length < 1 || length > MAX_NONCE) {
          return MALFORMED.clone();
        }
      }
    } catch (IOException | RuntimeException e) {
      return MALFORMED.clone();
    }
    if (singles.length == 0 || singles.length > MAX_REQUESTS) {
      return MALFORMED.clone();
    }

    Instant thisUpdate = now.truncatedTo(ChronoUnit.SECONDS);
    Date from = Date.from(thisUpdate);
    Date until = Date.from(thisUpdate.plus(validity).truncatedTo(ChronoUnit.SECONDS));
    BasicOCSPRespBuilder builder = new BasicOCSPRespBuilder(responderId);
    for (Req single : singles) {
      CertificateID id = single.getCertID();
      OcspStatus status = isOurs(id) ? lookup.apply(id.getSerialNumber()) : null;
      builder.addResponse(id, certificateStatus(status), from, until, null);
    }
    if (nonce != null) {
      // RFC 8954 §2.1 / RFC 6960 §4.4.1: the nonce is echoed in the response, unchanged.
      builder.setResponseExtensions(new Extensions(new Extension(nonce.getExtnId(), false, nonce.getExtnValue())));
    }
    try {
      return new OCSPRespBuilder()
          .build(OCSPRespBuilder.SUCCESSFUL, builder.build(signer.newSigner(), null, from))
          .getEncoded();
    } catch (GeneralSecurityException | OCSPException | IOException e) {
      throw new IllegalStateException("signing the OCSP response failed", e);
    }
  }

  /**
   * Whether the first single request of {@code requestDer} names this CA as issuer (so that a
   * server with several CAs in service picks the one that must sign); false for anything that
   * does not parse.
   */
  public boolean covers(byte[] requestDer) {
    if (requestDer == null || requestDer.length > MAX_REQUEST_BYTES || DerLimits.check(requestDer) != null) {
      return false;
    }
    try {
      Req[] singles = new OCSPReq(requestDer).getRequestList();
      return singles.length > 0 && isOurs(singles[0].getCertID());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private boolean isOurs(CertificateID id) {
    ASN1ObjectIdentifier hash = id.getHashAlgOID();
    if (OIWObjectIdentifiers.idSHA1.equals(hash)) {
      return MessageDigest.isEqual(nameHashSha1, id.getIssuerNameHash())
          && MessageDigest.isEqual(keyHashSha1, id.getIssuerKeyHash());
    }
    if (NISTObjectIdentifiers.id_sha256.equals(hash)) {
      return MessageDigest.isEqual(nameHashSha256, id.getIssuerNameHash())
          && MessageDigest.isEqual(keyHashSha256, id.getIssuerKeyHash());
    }
    return false;
  }

  private static CertificateStatus certificateStatus(OcspStatus status) {
    return switch (status) {
      case null -> new UnknownStatus();
      case OcspStatus.Good good -> CertificateStatus.GOOD;
      case OcspStatus.Unknown unknown -> new UnknownStatus();
      case OcspStatus.Revoked revoked -> {
        ASN1GeneralizedTime at = new ASN1GeneralizedTime(Date.from(revoked.revokedAt().truncatedTo(ChronoUnit.SECONDS)));
        // As on the CRL (RFC 5280 §5.3.1), an unspecified reason is left out rather than sent as 0.
        CRLReason reason = revoked.reason() == RevocationReason.unspecified
            ? null
            : CRLReason.lookup(revoked.reason().code());
        yield new RevokedStatus(new RevokedInfo(at, reason));
      }
    };
  }

  private static byte[] statusOnly(int status) {
    try {
      return new OCSPRespBuilder().build(status, null).getEncoded();
    } catch (OCSPException | IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static byte[] digest(String algorithm, byte[] data) {
    try {
      return MessageDigest.getInstance(algorithm).digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has " + algorithm, e);
    }
  }
}
