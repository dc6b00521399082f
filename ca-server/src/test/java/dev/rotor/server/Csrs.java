package dev.rotor.server;

import dev.rotor.pki.Pem;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** CSRs for tests, built with BouncyCastle the way a client would. */
public final class Csrs {
  private Csrs() {}

  public static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  public static KeyPair rsa(int bits) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(bits);
    return g.generateKeyPair();
  }

  /** A CSR with SANs given as "URI:...", "DNS:..." or "IP:...". */
  public static byte[] der(KeyPair keys, String sigAlg, String... sans) throws Exception {
    List<GeneralName> names = new ArrayList<>();
    for (String s : sans) {
      String v = s.substring(s.indexOf(':') + 1);
      names.add(switch (s.substring(0, s.indexOf(':'))) {
        case "URI" -> new GeneralName(GeneralName.uniformResourceIdentifier, v);
        case "DNS" -> new GeneralName(GeneralName.dNSName, v);
        case "IP" -> new GeneralName(GeneralName.iPAddress, v);
        default -> throw new IllegalArgumentException(s);
      });
    }
    JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic());
    if (!names.isEmpty()) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    return b.build(new JcaContentSignerBuilder(sigAlg).build(keys.getPrivate())).getEncoded();
  }

  public static String pem(KeyPair keys, String... sans) throws Exception {
    String alg = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return Pem.encode("CERTIFICATE REQUEST", der(keys, alg, sans));
  }

  /**
   * A real, usable RSA key pair whose 2048-bit modulus is 3 · q (q prime): the CSR it signs is
   * valid, only the key is weak.
   */
  public static KeyPair rsaWithSmallFactor() throws Exception {
    java.math.BigInteger e = java.math.BigInteger.valueOf(65537);
    java.math.BigInteger three = java.math.BigInteger.valueOf(3);
    java.util.Random rnd = new java.util.Random(3);
    while (true) {
      java.math.BigInteger q = java.math.BigInteger.probablePrime(2047, rnd);
      java.math.BigInteger n = three.multiply(q);
      java.math.BigInteger phi = java.math.BigInteger.TWO.multiply(q.subtract(java.math.BigInteger.ONE));
      if (n.bitLength() != 2048 || !phi.gcd(e).equals(java.math.BigInteger.ONE)) {
        continue;
      }
      java.security.KeyFactory kf = java.security.KeyFactory.getInstance("RSA");
      return new KeyPair(kf.generatePublic(new java.security.spec.RSAPublicKeySpec(n, e)),
          kf.generatePrivate(new java.security.spec.RSAPrivateKeySpec(n, e.modInverse(phi))));
    }
  }

  /** A P-256 CSR for a workload SPIFFE ID. */
  public static String workload(String ns, String sa) throws Exception {
    return pem(ec("secp256r1"), "URI:spiffe://rotor.local/ns/" + ns + "/sa/" + sa);
  }
}
