package dev.rotor.server.acme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * External Account Binding (RFC 8555 §7.3.4): a flattened JWS, MACed with HS256 under a key an
 * operator created, whose payload is the new account's JWK and whose {@code url} is the
 * newAccount URL.
 */
public final class ExternalAccountBinding {

  private ExternalAccountBinding() {}

  /** The EAB key id the binding names, after checking its shape and url. */
  public static String keyId(JsonNode eab, String url, ObjectMapper json) {
    JsonNode header = header(eab, json);
    if (!"HS256".equals(header.path("alg").asText())) {
      throw new AcmeException(AcmeError.BAD_SIGNATURE_ALGORITHM, "externalAccountBinding must use HS256");
    }
    if (header.has("nonce") || header.has("jwk")) {
      throw new AcmeException(AcmeError.MALFORMED, "externalAccountBinding must not carry nonce or jwk");
    }
    if (!url.equals(header.path("url").asText())) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "externalAccountBinding url must be the newAccount URL");
    }
    String kid = header.path("kid").asText("");
    if (kid.isEmpty()) {
      throw new AcmeException(AcmeError.MALFORMED, "externalAccountBinding has no kid");
    }
    return kid;
  }

  /** Verifies the MAC with {@code hmacKey} and that the payload is {@code accountKey}. */
  public static void verify(JsonNode eab, byte[] hmacKey, JWK accountKey) {
    String prot = eab.path("protected").asText("");
    String payload = eab.path("payload").asText("");
    String signature = eab.path("signature").asText("");
    boolean ok;
    try {
      ok = new MACVerifier(hmacKey).verify(JWSHeader.parse(new Base64URL(prot)),
          (prot + "." + payload).getBytes(StandardCharsets.US_ASCII), new Base64URL(signature));
    } catch (Exception e) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "externalAccountBinding does not verify");
    }
    if (!ok) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "externalAccountBinding does not verify");
    }
    JWK bound;
    try {
      bound = JWK.parse(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new AcmeException(AcmeError.MALFORMED, "externalAccountBinding payload is not a JWK");
    }
    if (!Jws.thumbprint(bound).equals(Jws.thumbprint(accountKey))) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "externalAccountBinding binds a different key");
    }
  }

  private static JsonNode header(JsonNode eab, ObjectMapper json) {
    if (eab == null || !eab.isObject() || !eab.path("protected").isTextual() || !eab.path("payload").isTextual()
        || !eab.path("signature").isTextual()) {
      throw new AcmeException(AcmeError.MALFORMED, "externalAccountBinding is not a flattened JWS");
    }
    try {
      return json.readTree(Base64.getUrlDecoder().decode(eab.get("protected").asText()));
    } catch (Exception e) {
      throw new AcmeException(AcmeError.MALFORMED, "externalAccountBinding protected header does not parse");
    }
  }
}
