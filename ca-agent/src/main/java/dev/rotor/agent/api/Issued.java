package dev.rotor.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The server's certificate response ({@code 201}, docs/agent-api.md "Certificate response").
 *
 * @param chainPem leaf + issuing CA, what goes into {@code tls.crt}
 * @param bundle the trust anchors, what goes into {@code ca.crt}
 */
public record Issued(String spiffeId, String serial, String chainPem, List<X509Certificate> chain,
    TrustBundle bundle, Instant notBefore, Instant notAfter) {

  public Issued {
    chain = List.copyOf(chain);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** Parses and checks a response body: the chain must parse and its leaf be currently valid. */
  static Issued fromJson(JsonNode body, Instant now) throws PkiException {
    String chainPem = text(body, "chain");
    List<X509Certificate> chain = Pem.parseCertificates(chainPem);
    TrustBundle bundle = TrustBundle.parse(text(body, "bundle"));
    X509Certificate leaf = chain.get(0);
    // Never hand a sink a certificate that is already useless (linkerd's "certificate already expired").
    if (!now.isBefore(leaf.getNotAfter().toInstant())) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the server returned an expired certificate");
    }
    return new Issued(text(body, "spiffeId"), text(body, "serial"), chainPem, chain, bundle,
        leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
  }

  private static String text(JsonNode body, String field) throws PkiException {
    JsonNode n = body.get(field);
    if (n == null || !n.isTextual()) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the certificate response has no " + field);
    }
    return n.asText();
  }
}
