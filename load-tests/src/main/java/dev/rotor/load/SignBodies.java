package dev.rotor.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Bodies of {@code POST /agent/v1/workloads/sign}: {@code {"csr":"<PEM>","ttlSeconds":900,
 * "spiffeId":"<id>"}}. Everything up to the identity is encoded once per pooled CSR (the
 * "prefix"); each request appends its identity, so the client spends no JSON encoding per request.
 */
final class SignBodies {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] END = "\"}".getBytes(StandardCharsets.US_ASCII);

  private SignBodies() {}

  /** {@code {"csr":"<PEM>","ttlSeconds":<ttl>,"spiffeId":"} as UTF-8. */
  static byte[] prefix(String csrPem, long ttlSeconds) {
    ObjectNode body = JSON.createObjectNode();
    body.put("csr", csrPem);
    body.put("ttlSeconds", ttlSeconds);
    body.put("spiffeId", "");
    try {
      byte[] whole = JSON.writeValueAsBytes(body);
      return Arrays.copyOf(whole, whole.length - END.length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The prefix completed with {@code spiffeId}, which must need no JSON escaping (fleet IDs are
   * made of trust-domain characters, '/', ':' and digits).
   */
  static byte[] body(byte[] prefix, String spiffeId) {
    byte[] id = spiffeId.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(prefix, prefix.length + id.length + END.length);
    System.arraycopy(id, 0, out, prefix.length, id.length);
    System.arraycopy(END, 0, out, prefix.length + id.length, END.length);
    return out;
  }

  /** Whether {@code spiffeId} can be appended as is (no quote, backslash or control character). */
  static boolean needsNoEscaping(String spiffeId) {
    return spiffeId.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
  }
}
