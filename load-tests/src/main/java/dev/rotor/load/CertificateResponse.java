package dev.rotor.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The agent API's certificate response (docs/agent-api.md): {@code spiffeId}, {@code serial},
 * {@code certificate}, {@code chain} (leaf + issuing CA), {@code bundle}, {@code notBefore},
 * {@code notAfter}.
 */
record CertificateResponse(String spiffeId, String serial, List<X509Certificate> chain) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory STREAM = new JsonFactory();

  /** Parses a whole response, certificates included (agent certificates: a few per second). */
  static CertificateResponse parse(byte[] body) throws IOException {
    JsonNode n = JSON.readTree(body);
    String spiffeId = text(n, "spiffeId");
    String serial = text(n, "serial");
    String chainPem = n.hasNonNull("chain") ? n.get("chain").asText() : text(n, "certificate");
    List<X509Certificate> chain;
    try {
      chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(chainPem.getBytes(StandardCharsets.US_ASCII)))
          .stream().map(X509Certificate.class::cast).toList();
    } catch (CertificateException e) {
      throw new IOException("bad chain in the certificate response: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IOException("no certificate in the certificate response");
    }
    return new CertificateResponse(spiffeId, serial, chain);
  }

  private static String text(JsonNode n, String field) throws IOException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new IOException("the certificate response has no " + field);
    }
    return v.asText();
  }

  /**
   * The {@code spiffeId} of a 201 body, read with a streaming parser that stops there: workload
   * responses arrive thousands of times a second and only the identity is checked.
   */
  static String spiffeIdOf(byte[] body) {
    try (JsonParser p = STREAM.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("spiffeId")) {
          return value == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }
}
