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

  /** How far in the future a returned certificate's notBefore may lie (clocks disagree a little). */
  static final java.time.Duration MAX_CLOCK_SKEW = java.time.Duration.ofMinutes(5);

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
    // Never hand a sink a certificate that is useless (linkerd's "certificate already expired"),
    // not yet valid beyond any clock skew, or that does not chain to the bundle sent with it.
    if (!now.isBefore(leaf.getNotAfter().toInstant())) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the server returned an expired certificate");
    }
    if (leaf.getNotBefore().toInstant().isAfter(now.plus(MAX_CLOCK_SKEW))) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the server returned a certificate valid only from "
          + leaf.getNotBefore().toInstant() + " (clock skew?)");
    }
    if (!bundle.validates(chain, now.isBefore(leaf.getNotBefore().toInstant()) ? leaf.getNotBefore().toInstant() : now)) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the returned chain does not validate to the returned trust bundle");
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
