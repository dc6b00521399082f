package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The flattened-JWS rules of RFC 8555 §6.2, each refusal with its problem type. */
class JwsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private static String prot(String alg, Object jwk) throws Exception {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("alg", alg);
    h.put("jwk", jwk);
    h.put("nonce", "n");
    h.put("url", "https://ca/acme/acme/new-account");
    return B64.encodeToString(JSON.writeValueAsBytes(h));
  }

  private static byte[] body(String prot, String payload, String sig) throws Exception {
    return JSON.writeValueAsBytes(Map.of("protected", prot, "payload", payload, "signature", sig));
  }

  @Test
  void ok_es256_and_rs256_and_ed25519() throws Exception {
    ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
    String p = prot("ES256", ec.toPublicJWK().toJSONObject());
    String pay = B64.encodeToString("{}".getBytes(StandardCharsets.UTF_8));
    String sig = new ECDSASigner(ec).sign(new JWSHeader(JWSAlgorithm.ES256), (p + "." + pay).getBytes(StandardCharsets.US_ASCII)).toString();
    Jws jws = Jws.parse(body(p, pay, sig), JSON);
    jws.verify(jws.jwk());
    assertThat(jws.url()).isEqualTo("https://ca/acme/acme/new-account");

    RSAKey rsa = new RSAKeyGenerator(2048).generate();
    String pr = prot("RS256", rsa.toPublicJWK().toJSONObject());
    String sr = new RSASSASigner(rsa).sign(new JWSHeader(JWSAlgorithm.RS256), (pr + ".").getBytes(StandardCharsets.US_ASCII)).toString();
    Jws post = Jws.parse(body(pr, "", sr), JSON);
    post.verify(post.jwk());
    assertThat(post.isPostAsGet()).isTrue();

    KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
    KeyPair kp = g.generateKeyPair();
    byte[] spki = kp.getPublic().getEncoded();
    OctetKeyPair okp = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length))).build();
    String pe = prot("EdDSA", okp.toJSONObject());
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(kp.getPrivate());
    s.update((pe + "." + pay).getBytes(StandardCharsets.US_ASCII));
    Jws ed = Jws.parse(body(pe, pay, B64.encodeToString(s.sign())), JSON);
    ed.verify(ed.jwk());
  }

  @Test
  void verifier_madeOnceForAnAccountKey_checksEverySignature() throws Exception {
    ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
    Jws.Verifier verifier = Jws.Verifier.of("ES256", JWK.parse(ec.toPublicJWK().toJSONString()));
    for (String payload : new String[] {"{}", "{\"status\":\"deactivated\"}"}) {
      String p = prot("ES256", ec.toPublicJWK().toJSONObject());
      String pay = B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
      String sig = new ECDSASigner(ec).sign(new JWSHeader(JWSAlgorithm.ES256), (p + "." + pay).getBytes(StandardCharsets.US_ASCII)).toString();
      Jws.parse(body(p, pay, sig), JSON).verify(verifier);
      // the same signature over another payload: refused by the shared verifier too
      String other = B64.encodeToString("{\"x\":1}".getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> Jws.parse(body(p, other, sig), JSON).verify(verifier))
          .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.MALFORMED));
    }
    // a verifier is for one algorithm: a P-256 key cannot be made an ES384 verifier
    assertThatThrownBy(() -> Jws.Verifier.of("ES384", ec.toPublicJWK()))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.BAD_PUBLIC_KEY));
  }

  @Test
  void fail_shapeAlgorithmAndKey() throws Exception {
    ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
    String p = prot("ES256", ec.toPublicJWK().toJSONObject());
    String sig = new ECDSASigner(ec).sign(new JWSHeader(JWSAlgorithm.ES256), (p + ".").getBytes(StandardCharsets.US_ASCII)).toString();
    // general serialization / unprotected header
    assertThatThrownBy(() -> Jws.parse(JSON.writeValueAsBytes(Map.of("protected", p, "payload", "", "signature", sig, "header", Map.of())), JSON))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.MALFORMED));
    // alg none
    assertThatThrownBy(() -> Jws.parse(body(prot("none", ec.toPublicJWK().toJSONObject()), "", ""), JSON))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.MALFORMED));
    assertThatThrownBy(() -> Jws.parse(body(prot("HS256", ec.toPublicJWK().toJSONObject()), "", sig), JSON))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.BAD_SIGNATURE_ALGORITHM));
    // ES384 header with a P-256 key
    Jws wrongCurve = Jws.parse(body(prot("ES384", ec.toPublicJWK().toJSONObject()), "", sig), JSON);
    assertThatThrownBy(() -> wrongCurve.verify(wrongCurve.jwk()))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.BAD_PUBLIC_KEY));
    // RSA below 2048 bits
    RSAKey small = new RSAKeyGenerator(1024, true).generate();
    Jws weak = Jws.parse(body(prot("RS256", small.toPublicJWK().toJSONObject()), "", sig), JSON);
    assertThatThrownBy(() -> weak.verify(weak.jwk()))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.BAD_PUBLIC_KEY));
    // a signature by another key
    Jws other = Jws.parse(body(p, "", sig), JSON);
    JWK stranger = new ECKeyGenerator(Curve.P_256).generate().toPublicJWK();
    assertThatThrownBy(() -> other.verify(stranger))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.MALFORMED));
    // a private key in the header
    assertThatThrownBy(() -> Jws.parse(body(prot("ES256", ec.toJSONObject()), "", sig), JSON))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.BAD_PUBLIC_KEY));
  }

  private static void assertBadPublicKey(JWK key, String detail) {
    assertThatThrownBy(() -> Jws.checkKeySoundness(key))
        .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.BAD_PUBLIC_KEY))
        .hasMessageContaining(detail);
  }

  @Test
  void accountKeys_soundKeysPass() throws Exception {
    Jws.checkKeySoundness(new ECKeyGenerator(Curve.P_256).generate().toPublicJWK());
    Jws.checkKeySoundness(new ECKeyGenerator(Curve.P_384).generate().toPublicJWK());
    Jws.checkKeySoundness(new RSAKeyGenerator(2048).generate().toPublicJWK());
    KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519");
    KeyPair pair = ed.generateKeyPair();
    byte[] spki = pair.getPublic().getEncoded();
    Jws.checkKeySoundness(new OctetKeyPair.Builder(Curve.Ed25519,
        Base64URL.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length))).build());
  }

  @Test
  void accountKeys_rsaExponentThreeIsRefused() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(new java.security.spec.RSAKeyGenParameterSpec(2048, java.math.BigInteger.valueOf(3)));
    RSAKey key = new RSAKey.Builder((java.security.interfaces.RSAPublicKey) gen.generateKeyPair().getPublic()).build();
    assertBadPublicKey(key, "exponent");
  }

  @Test
  void accountKeys_rsaWithClosePrimesIsRefused() throws Exception {
    java.math.BigInteger n;
    do { // two neighbouring primes; retried until the modulus has exactly 2048 bits
      java.math.BigInteger p = java.math.BigInteger.probablePrime(1024, new java.security.SecureRandom());
      n = p.multiply(p.nextProbablePrime());
    } while (n.bitLength() != 2048);
    RSAKey key = new RSAKey.Builder(Base64URL.encode(n), Base64URL.encode(java.math.BigInteger.valueOf(65537))).build();
    assertBadPublicKey(key, "Fermat");
  }

  @Test
  void accountKeys_rsaWithASmallFactorIsRefused() throws Exception {
    java.math.BigInteger n;
    do {
      // any odd cofactor will do (a prime one of this size takes minutes to find on a busy machine)
      n = new java.math.BigInteger(2041, new java.security.SecureRandom()).setBit(2040).setBit(0)
          .multiply(java.math.BigInteger.valueOf(251));
    } while (n.bitLength() != 2048);
    RSAKey key = new RSAKey.Builder(Base64URL.encode(n), Base64URL.encode(java.math.BigInteger.valueOf(65537))).build();
    assertBadPublicKey(key, "small prime factor");
  }

  @Test
  void accountKeys_ed25519OfSmallOrderIsRefused() {
    // The identity point (y = 1): order 1.
    byte[] identity = new byte[32];
    identity[0] = 1;
    assertBadPublicKey(new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(identity)).build(), "large order");
  }
}
