package dev.rotor.server.acme;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.Serials;
import dev.rotor.server.store.CertificateRecord;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;

/**
 * ACME Renewal Information (RFC 9773): the certID of a certificate and its suggested renewal
 * window. An unrevoked certificate of the current issuing CA gets a window around two thirds of
 * its lifetime (cert-manager's and Rotor's agents' renewal point); a revoked one, or one whose
 * issuing CA is no longer the current one, gets a window that has already begun, so clients renew now.
 */
public final class RenewalInfo {

  /** A suggested window. */
  public record Window(Instant start, Instant end) {}

  /** A parsed certID: the authority key identifier and the serial. */
  public record CertId(byte[] keyIdentifier, String serialHex) {}

  private RenewalInfo() {}

  /** Parses {@code base64url(AKI keyIdentifier) "." base64url(serial DER INTEGER content)} (RFC 9773 §4.1). */
  public static CertId parse(String certId) {
    int dot = certId.indexOf('.');
    if (dot <= 0 || dot == certId.length() - 1 || certId.indexOf('.', dot + 1) >= 0 || certId.contains("=")) {
      throw new AcmeException(AcmeError.MALFORMED, "a certID is base64url(keyIdentifier).base64url(serial)");
    }
    try {
      byte[] aki = Base64.getUrlDecoder().decode(certId.substring(0, dot));
      byte[] serial = Base64.getUrlDecoder().decode(certId.substring(dot + 1));
      if (aki.length == 0 || serial.length == 0 || serial.length > 21) {
        throw new IllegalArgumentException();
      }
      BigInteger s = new BigInteger(serial);
      if (s.signum() <= 0) {
        throw new IllegalArgumentException();
      }
      return new CertId(aki, Serials.toHex(s));
    } catch (IllegalArgumentException e) {
      throw new AcmeException(AcmeError.MALFORMED, "the certID is not two base64url parts of a key identifier and a serial");
    }
  }

  /** The certID of a certificate. */
  public static String certId(X509Certificate cert) {
    byte[] aki = keyIdentifier(cert);
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    return b.encodeToString(aki) + "." + b.encodeToString(cert.getSerialNumber().toByteArray());
  }

  /** Whether the record's certificate carries the certID's authority key identifier. */
  public static boolean matches(CertId id, CertificateRecord record) {
    try {
      return MessageDigest.isEqual(keyIdentifier(Pem.parseCertificate(record.der())), id.keyIdentifier());
    } catch (PkiException e) {
      return false;
    }
  }

  /**
   * @param current whether the certificate's issuing CA is still the one issuing
   */
  public static Window window(CertificateRecord record, boolean current, Instant now) {
    if (record.revokedAt() != null || !current) {
      Instant n = now.truncatedTo(ChronoUnit.SECONDS);
      return new Window(n.minus(Duration.ofHours(1)), n);
    }
    Duration life = Duration.between(record.notBefore(), record.notAfter());
    Instant center = record.notBefore().plus(life.multipliedBy(2).dividedBy(3));
    Duration half = life.dividedBy(20);
    return new Window(center.minus(half).truncatedTo(ChronoUnit.SECONDS), center.plus(half).truncatedTo(ChronoUnit.SECONDS));
  }

  private static byte[] keyIdentifier(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue("2.5.29.35");
    if (ext == null) {
      throw new AcmeException(AcmeError.MALFORMED, "the certificate has no authority key identifier");
    }
    byte[] id = AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifierOctets();
    if (id == null) {
      throw new AcmeException(AcmeError.MALFORMED, "the certificate's authority key identifier has no keyIdentifier");
    }
    return id;
  }
}
