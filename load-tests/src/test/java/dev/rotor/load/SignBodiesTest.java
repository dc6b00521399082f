package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class SignBodiesTest {

  @Test
  void prefixPlusIdentityIsTheSignRequest() throws Exception {
    String pem = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\"x\n-----END CERTIFICATE REQUEST-----\n";
    byte[] prefix = SignBodies.prefix(pem, 900);
    byte[] body = SignBodies.body(prefix, "spiffe://rotor.local/ns/fleet-3/sa/w7");

    JsonNode n = new ObjectMapper().readTree(body);
    assertThat(n.get("csr").asText()).isEqualTo(pem);
    assertThat(n.get("ttlSeconds").asInt()).isEqualTo(900);
    assertThat(n.get("spiffeId").asText()).isEqualTo("spiffe://rotor.local/ns/fleet-3/sa/w7");
    assertThat(n.size()).isEqualTo(3);
    // The prefix is not changed by building a body from it.
    assertThat(new String(SignBodies.body(prefix, "x"))).endsWith("\"spiffeId\":\"x\"}");
  }

  @Test
  void identitiesThatWouldNeedEscapingAreRecognised() {
    assertThat(SignBodies.needsNoEscaping("spiffe://a-b.c_d/ns/fleet-1/sa/w0")).isTrue();
    assertThat(SignBodies.needsNoEscaping("spiffe://x/\"")).isFalse();
    assertThat(SignBodies.needsNoEscaping("spiffe://x/\\")).isFalse();
    assertThat(SignBodies.needsNoEscaping("spiffe://x/\n")).isFalse();
  }
}
