package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CertificateResponseTest {

  @Test
  void spiffeIdIsReadWithoutParsingTheRest() {
    byte[] body = ("{\"spiffeId\":\"spiffe://rotor.local/ns/a/sa/b\",\"serial\":\"01\","
        + "\"certificate\":\"not even PEM\"}").getBytes(StandardCharsets.UTF_8);
    assertThat(CertificateResponse.spiffeIdOf(body)).isEqualTo("spiffe://rotor.local/ns/a/sa/b");
    assertThat(CertificateResponse.spiffeIdOf("{\"serial\":\"01\",\"spiffeId\":\"x\"}"
        .getBytes(StandardCharsets.UTF_8))).isEqualTo("x");
    assertThat(CertificateResponse.spiffeIdOf("{\"spiffeId\":7}".getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(CertificateResponse.spiffeIdOf("[]".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(CertificateResponse.spiffeIdOf("{".getBytes(StandardCharsets.UTF_8))).isNull();
  }

  @Test
  void aResponseWithoutCertificatesIsRefused() {
    assertThatThrownBy(() -> CertificateResponse.parse(
        "{\"spiffeId\":\"x\",\"serial\":\"01\",\"chain\":\"\"}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("certificate");
    assertThatThrownBy(() -> CertificateResponse.parse(
        "{\"serial\":\"01\",\"chain\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("no spiffeId");
  }
}
