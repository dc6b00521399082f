package dev.rotor.server.api;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.AccessDescription;

/** Every field of a certificate, decoded for people (the admin UI's detail view and {@code GET /api/v1/ca}). */
public final class CertificateFields {

  private static final String[] KEY_USAGES = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
      "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};
  private static final Map<String, String> EKUS = Map.of(
      "1.3.6.1.5.5.7.3.1", "serverAuth",
      "1.3.6.1.5.5.7.3.2", "clientAuth",
      "1.3.6.1.5.5.7.3.9", "OCSPSigning");
  private static final String[] SAN_TYPES = {"otherName", "email", "dns", "x400", "directory", "ediParty", "uri", "ip", "registeredId"};

  private CertificateFields() {}

  public static X509Certificate parse(byte[] der) {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException e) {
      throw new RotorException(ErrorCode.INTERNAL, "a stored certificate does not parse", e);
    }
  }

  public static Map<String, Object> of(byte[] der) {
    return of(parse(der));
  }

  public static Map<String, Object> of(X509Certificate c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", c.getVersion());
    m.put("serial", c.getSerialNumber().toString(16));
    m.put("signatureAlgorithm", c.getSigAlgName());
    m.put("issuer", c.getIssuerX500Principal().getName());
    m.put("subject", c.getSubjectX500Principal().getName());
    m.put("notBefore", c.getNotBefore().toInstant().toString());
    m.put("notAfter", c.getNotAfter().toInstant().toString());
    m.put("publicKey", describe(c.getPublicKey()));
    m.put("subjectAlternativeNames", sans(c));
    boolean[] ku = c.getKeyUsage();
    if (ku != null) {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < ku.length && i < KEY_USAGES.length; i++) {
        if (ku[i]) {
          names.add(KEY_USAGES[i]);
        }
      }
      m.put("keyUsage", names);
    }
    try {
      List<String> eku = c.getExtendedKeyUsage();
      if (eku != null) {
        m.put("extendedKeyUsage", eku.stream().map(o -> EKUS.getOrDefault(o, o)).toList());
      }
    } catch (CertificateParsingException e) {
      m.put("extendedKeyUsage", "unparsable");
    }
    int pathLen = c.getBasicConstraints();
    if (c.getExtensionValue(Extension.basicConstraints.getId()) != null) {
      m.put("basicConstraints", pathLen < 0 ? "CA:false" : "CA:true" + (pathLen == Integer.MAX_VALUE ? "" : ", pathLen " + pathLen));
    }
    byte[] ski = extension(c, Extension.subjectKeyIdentifier);
    if (ski != null) {
      m.put("subjectKeyIdentifier", hex(SubjectKeyIdentifier.getInstance(ski).getKeyIdentifier()));
    }
    byte[] aki = extension(c, Extension.authorityKeyIdentifier);
    if (aki != null) {
      m.put("authorityKeyIdentifier", hex(AuthorityKeyIdentifier.getInstance(aki).getKeyIdentifierOctets()));
    }
    byte[] crl = extension(c, Extension.cRLDistributionPoints);
    if (crl != null) {
      List<String> urls = new ArrayList<>();
      for (DistributionPoint dp : CRLDistPoint.getInstance(crl).getDistributionPoints()) {
        if (dp.getDistributionPoint() != null && dp.getDistributionPoint().getName() instanceof GeneralNames names) {
          for (GeneralName n : names.getNames()) {
            urls.add(n.getName().toString());
          }
        }
      }
      m.put("crlDistributionPoints", urls);
    }
    byte[] aia = extension(c, Extension.authorityInfoAccess);
    if (aia != null) {
      Map<String, String> access = new LinkedHashMap<>();
      for (AccessDescription d : AuthorityInformationAccess.getInstance(aia).getAccessDescriptions()) {
        String what = d.getAccessMethod().equals(AccessDescription.id_ad_ocsp) ? "ocsp" : "caIssuers";
        access.put(what, d.getAccessLocation().getName().toString());
      }
      m.put("authorityInformationAccess", access);
    }
    List<String> critical = new ArrayList<>(c.getCriticalExtensionOIDs() == null ? List.of() : c.getCriticalExtensionOIDs());
    java.util.Collections.sort(critical);
    m.put("criticalExtensions", critical);
    try {
      m.put("sha256Fingerprint", fingerprint(c.getEncoded(), "SHA-256"));
      m.put("sha1Fingerprint", fingerprint(c.getEncoded(), "SHA-1"));
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
    return m;
  }

  private static Map<String, Object> describe(PublicKey key) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("algorithm", key.getAlgorithm());
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      m.put("curve", bits == 256 ? "P-256" : bits == 384 ? "P-384" : bits == 521 ? "P-521" : bits + "-bit");
    } else if (key instanceof RSAPublicKey rsa) {
      m.put("bits", rsa.getModulus().bitLength());
    }
    return m;
  }

  private static List<Map<String, String>> sans(X509Certificate c) {
    List<Map<String, String>> out = new ArrayList<>();
    try {
      Collection<List<?>> all = c.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> entry : all) {
          int type = (Integer) entry.get(0);
          Object value = entry.get(1);
          out.add(Map.of("type", type < SAN_TYPES.length ? SAN_TYPES[type] : String.valueOf(type),
              "value", value instanceof String s ? s : "(binary)"));
        }
      }
    } catch (CertificateParsingException e) {
      out.add(Map.of("type", "error", "value", "unparsable subjectAltName"));
    }
    return out;
  }

  private static byte[] extension(X509Certificate c, org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
    byte[] outer = c.getExtensionValue(oid.getId());
    if (outer == null) {
      return null;
    }
    try {
      return ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(outer)).getOctets();
    } catch (java.io.IOException | IllegalArgumentException e) {
      return null;
    }
  }

  public static String fingerprint(byte[] der, String algorithm) {
    try {
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance(algorithm).digest(der));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.ofDelimiter(":").formatHex(b);
  }
}
