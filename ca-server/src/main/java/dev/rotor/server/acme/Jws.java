package dev.rotor.server.acme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.crypto.utils.ECChecks;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.rotor.pki.KeyChecks;
import dev.rotor.pki.PkiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A parsed flattened JWS (RFC 7515 §7.2.2) as ACME uses it (RFC 8555 §6.2): the protected header's
 * {@code alg}, {@code nonce}, {@code url} and exactly one of {@code jwk} / {@code kid}; the payload.
 * {@link #parse} checks the shape; {@link #verify} checks the signature with a key.
 */
public record Jws(String alg, String nonce, String url, JWK jwk, String kid, byte[] payload, String protectedPart,
    String payloadPart, byte[] signature, JsonNode header) {

  /** The algorithms accepted for account keys (RFC 8555 §6.2: ES256 and EdDSA are RECOMMENDED). */
  public static final List<String> ALGORITHMS = List.of("ES256", "ES384", "RS256", "EdDSA");
  private static final Set<String> FIELDS = Set.of("protected", "payload", "signature");
  private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  /** Parses and checks the shape of a flattened JWS; nothing is verified yet. */
  public static Jws parse(byte[] body, ObjectMapper json) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
      throw new AcmeException(AcmeError.MALFORMED, "the body is nested too deeply: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new AcmeException(AcmeError.MALFORMED, "the body is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw new AcmeException(AcmeError.MALFORMED, "the body is not a flattened JWS object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        // "header" (unprotected) and "signatures" (general serialization) are refused: RFC 8555 §6.2
        throw new AcmeException(AcmeError.MALFORMED, "the JWS has a field \"" + f + "\"; only a flattened JWS with protected, payload and signature is accepted");
      }
    }
    String prot = text(root, "protected");
    String payloadPart = text(root, "payload");
    String sig = text(root, "signature");
    if (prot.isEmpty() || sig.isEmpty()) {
      throw new AcmeException(AcmeError.MALFORMED, "the JWS has an empty protected header or signature");
    }
    JsonNode header;
    byte[] payload;
    byte[] signature;
    try {
      header = json.readTree(b64(prot));
      payload = b64(payloadPart);
      signature = b64(sig);
    } catch (IOException | IllegalArgumentException e) {
      throw new AcmeException(AcmeError.MALFORMED, "the JWS parts are not base64url JSON");
    }
    if (header == null || !header.isObject()) {
      throw new AcmeException(AcmeError.MALFORMED, "the protected header is not a JSON object");
    }
    if (header.has("b64") || header.has("crit")) {
      throw new AcmeException(AcmeError.MALFORMED, "the protected header may not carry b64 or crit");
    }
    String alg = header.path("alg").asText("");
    if (!ALGORITHMS.contains(alg)) {
      throw new AcmeException(AcmeError.BAD_SIGNATURE_ALGORITHM,
          "algorithm \"" + alg + "\" is not accepted; use one of " + ALGORITHMS);
    }
    boolean hasJwk = header.has("jwk");
    boolean hasKid = header.has("kid");
    if (hasJwk == hasKid) {
      throw new AcmeException(AcmeError.MALFORMED, "the protected header must have exactly one of jwk and kid");
    }
    JWK jwk = null;
    if (hasJwk) {
      if (!header.get("jwk").isObject()) {
        throw new AcmeException(AcmeError.MALFORMED, "jwk is not a JSON object");
      }
      try {
        jwk = JWK.parse(json.writeValueAsString(header.get("jwk")));
      } catch (Exception e) {
        throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the jwk does not parse: " + e.getMessage());
      }
      if (jwk.isPrivate()) {
        throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the jwk contains a private key");
      }
    }
    String kid = hasKid ? header.get("kid").asText("") : null;
    String nonce = header.has("nonce") ? header.get("nonce").asText("") : null;
    String url = header.has("url") ? header.get("url").asText("") : null;
    return new Jws(alg, nonce, url, jwk, kid, payload, prot, payloadPart, signature, header);
  }

  /** Whether the payload is empty (POST-as-GET, RFC 8555 §6.3). */
  public boolean isPostAsGet() {
    return payload.length == 0;
  }

  /**
   * Checks that {@code key} suits {@link #alg} and verifies the signature.
   *
   * @throws AcmeException badPublicKey (wrong type, RSA below 2048 bits, EC point off the curve),
   *     malformed (signature does not verify)
   */
  public void verify(JWK key) {
    verify(Verifier.of(alg, key));
  }

  /**
   * Verifies the signature with a verifier made for this JWS's {@link #alg}.
   *
   * @throws AcmeException malformed (signature does not verify)
   */
  public void verify(Verifier verifier) {
    if (!verifier.alg().equals(alg)) {
      throw new IllegalArgumentException("a verifier for " + verifier.alg() + ", not " + alg);
    }
    byte[] input = (protectedPart + "." + payloadPart).getBytes(StandardCharsets.US_ASCII);
    boolean ok;
    try {
      if (verifier.ed25519() != null) {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(verifier.ed25519());
        s.update(input);
        ok = signature.length == 64 && s.verify(signature);
      } else {
        ok = verifier.jose().verify(new JWSHeader(JWSAlgorithm.parse(alg)), input, Base64URL.encode(signature));
      }
    } catch (JOSEException | java.security.GeneralSecurityException | RuntimeException e) {
      throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the key cannot verify " + alg + " signatures: " + e.getMessage());
    }
    if (!ok) {
      throw new AcmeException(AcmeError.MALFORMED, "the JWS signature does not verify");
    }
  }

  /**
   * A key checked for one algorithm and ready to verify its signatures: immutable and safe to share
   * between threads, so that a server can keep one per account key instead of parsing and checking
   * the key (EC point on the curve, RSA size) for every request.
   *
   * @param jose nimbus' verifier (ES256, ES384, RS256); null for EdDSA
   * @param ed25519 the JDK key (EdDSA); null otherwise
   */
  public record Verifier(String alg, JWK key, com.nimbusds.jose.JWSVerifier jose, PublicKey ed25519) {

    /**
     * @throws AcmeException badPublicKey (wrong type for {@code alg}, RSA below 2048 bits, EC point
     *     off the curve)
     */
    public static Verifier of(String alg, JWK key) {
      try {
        switch (alg) {
          case "ES256", "ES384" -> {
            Curve want = alg.equals("ES256") ? Curve.P_256 : Curve.P_384;
            if (!(key instanceof ECKey ec) || !want.equals(ec.getCurve())) {
              throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, alg + " needs an EC key on " + want);
            }
            ECPublicKey pub = ec.toECPublicKey();
            if (!ECChecks.isPointOnCurve(pub, want.toECParameterSpec())) {
              throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the EC public key is not a point on " + want);
            }
            return new Verifier(alg, key, new ECDSAVerifier(pub), null);
          }
          case "RS256" -> {
            if (!(key instanceof RSAKey rsa)) {
              throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "RS256 needs an RSA key");
            }
            if (rsa.size() < 2048) {
              throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "RSA keys must have at least 2048 bits; this one has " + rsa.size());
            }
            return new Verifier(alg, key, new RSASSAVerifier(rsa), null);
          }
          case "EdDSA" -> {
            if (!(key instanceof OctetKeyPair okp) || !Curve.Ed25519.equals(okp.getCurve())) {
              throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "EdDSA needs an Ed25519 key");
            }
            return new Verifier(alg, key, null, Jws.ed25519(okp));
          }
          default -> throw new AcmeException(AcmeError.BAD_SIGNATURE_ALGORITHM, "algorithm " + alg + " is not accepted");
        }
      } catch (AcmeException e) {
        throw e;
      } catch (JOSEException | java.security.GeneralSecurityException | RuntimeException e) {
        throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the key cannot verify " + alg + " signatures: " + e.getMessage());
      }
    }
  }

  /**
   * The key soundness checks every CSR key gets ({@link KeyChecks}: RSA size, exponent, small
   * factors, Fermat, ROCA; EC not infinity, coordinates in the field, on the curve, right order),
   * for a key about to become an account key (new-account, key-change).
   *
   * @throws AcmeException badPublicKey naming the weakness (RFC 8555 §6.7)
   */
  public static void checkKeySoundness(JWK key) {
    try {
      if (key instanceof RSAKey rsa) {
        java.security.interfaces.RSAPublicKey pub = rsa.toRSAPublicKey();
        KeyChecks.checkRsa(pub.getModulus(), pub.getPublicExponent());
      } else if (key instanceof ECKey ec) {
        org.bouncycastle.asn1.x9.X9ECParameters params =
            org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName(ec.getCurve().getStdName());
        if (params == null) {
          throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "unsupported curve " + ec.getCurve());
        }
        KeyChecks.checkEcPoint(params.getCurve().createPoint(ec.getX().decodeToBigInteger(), ec.getY().decodeToBigInteger()));
      } else if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
        // The full Ed25519 point validation (no small order) that CsrChecker applies.
        byte[] point = okp.getX().decode();
        if (point.length != org.bouncycastle.math.ec.rfc8032.Ed25519.PUBLIC_KEY_SIZE
            || !org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFull(point, 0)) {
          throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the Ed25519 public key is not a valid point of large order");
        }
      } else {
        throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "unsupported key type " + key.getKeyType());
      }
    } catch (PkiException e) {
      throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, e.getMessage());
    } catch (JOSEException | RuntimeException e) {
      if (e instanceof AcmeException a) {
        throw a;
      }
      throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the key is not usable: " + e.getMessage());
    }
  }

  /** The JDK public key of a JWK (for comparing with a certificate's key). */
  public static PublicKey publicKey(JWK key) {
    try {
      if (key instanceof ECKey ec) {
        return ec.toECPublicKey();
      }
      if (key instanceof RSAKey rsa) {
        return rsa.toRSAPublicKey();
      }
      if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
        return ed25519(okp);
      }
    } catch (JOSEException | java.security.GeneralSecurityException e) {
      throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the key is not usable: " + e.getMessage());
    }
    throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "unsupported key type " + key.getKeyType());
  }

  /** RFC 7638 SHA-256 thumbprint, base64url. */
  public static String thumbprint(JWK key) {
    try {
      return key.computeThumbprint("SHA-256").toString();
    } catch (JOSEException e) {
      throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "cannot compute the key's thumbprint");
    }
  }

  /** The public JWK as JSON, with only the members RFC 7638 hashes plus kty. */
  public static String publicJson(JWK key) {
    return key.toPublicJWK().toJSONString();
  }

  private static PublicKey ed25519(OctetKeyPair okp) throws java.security.GeneralSecurityException {
    byte[] x = okp.getX().decode();
    if (x.length != 32) {
      throw new java.security.InvalidKeyException("an Ed25519 key has 32 bytes");
    }
    byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
    System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
    System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, 32);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw new AcmeException(AcmeError.MALFORMED, "the JWS has no \"" + field + "\" string");
    }
    return n.asText();
  }

  private static byte[] b64(String s) {
    if (s.contains("=") || s.contains("+") || s.contains("/")) {
      throw new IllegalArgumentException("not base64url");
    }
    return Base64.getUrlDecoder().decode(s);
  }

  /** Parses the payload as a JSON object ({} when POST-as-GET is not allowed but the payload is empty: malformed). */
  public ObjectNode payloadObject(ObjectMapper json) {
    try {
      JsonNode n = json.readTree(payload);
      if (n instanceof ObjectNode o) {
        return o;
      }
    } catch (IOException e) {
      // fall through
    }
    throw new AcmeException(AcmeError.MALFORMED, "the payload is not a JSON object");
  }
}
