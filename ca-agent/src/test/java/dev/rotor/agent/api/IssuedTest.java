package dev.rotor.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rotor.agent.TestCa;
import dev.rotor.pki.PkiException;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the agent accepts from the server before any sink may store it (AGT-03). */
class IssuedTest {

  private static final String ID = "spiffe://rotor.local/ns/a/sa/b";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestCa ca;
  private static TestCa other;
  private static KeyPair keys;
  private static Instant now;

  @BeforeAll
  static void setUp() throws Exception {
    ca = new TestCa("issued");
    other = new TestCa("other");
    keys = Csrs.newKeyPair();
    now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  private static ObjectNode response(TestCa signer, TestCa bundleOf, Instant nb, Instant na) throws Exception {
    ObjectNode o = JSON.createObjectNode();
    o.put("spiffeId", ID);
    o.put("serial", "01");
    o.put("chain", signer.chainPem(keys.getPublic(), ID, List.of(), nb, na));
    o.put("bundle", bundleOf.bundle().pem());
    return o;
  }

  @Test
  void ok() throws Exception {
    Issued i = Issued.fromJson(response(ca, ca, now.minusSeconds(30), now.plusSeconds(900)), now);
    assertThat(i.chain()).hasSize(2);
    assertThat(i.notAfter()).isEqualTo(now.plusSeconds(900));
    assertThat(Credentials.spiffeIdOf(i.leaf())).contains(ID);
  }

  @Test
  void refusesAnExpiredCertificate() {
    assertThatThrownBy(() -> Issued.fromJson(response(ca, ca, now.minusSeconds(900), now.minusSeconds(1)), now))
        .isInstanceOf(PkiException.class).hasMessageContaining("expired");
  }

  @Test
  void refusesACertificateValidOnlyInTheFarFuture() {
    assertThatThrownBy(() -> Issued.fromJson(response(ca, ca, now.plus(Duration.ofHours(1)), now.plus(Duration.ofHours(2))), now))
        .isInstanceOf(PkiException.class).hasMessageContaining("valid only from");
  }

  @Test
  void refusesAChainThatDoesNotValidateToTheReturnedBundle() {
    assertThatThrownBy(() -> Issued.fromJson(response(ca, other, now.minusSeconds(30), now.plusSeconds(900)), now))
        .isInstanceOf(PkiException.class).hasMessageContaining("does not validate");
  }

  @Test
  void refusesAResponseWithoutAChain() throws Exception {
    ObjectNode o = response(ca, ca, now.minusSeconds(30), now.plusSeconds(900));
    o.remove("chain");
    assertThatThrownBy(() -> Issued.fromJson(o, now)).isInstanceOf(PkiException.class).hasMessageContaining("chain");
  }

  @Test
  void credentialsRequireTheKeyThatWasSent() throws Exception {
    Issued i = Issued.fromJson(response(ca, ca, now.minusSeconds(30), now.plusSeconds(900)), now);
    assertThat(Credentials.of(keys.getPrivate(), i).serial()).isEqualTo(i.leaf().getSerialNumber().toString(16));
    assertThatThrownBy(() -> Credentials.of(Csrs.newKeyPair().getPrivate(), i)).isInstanceOf(PkiException.class);
  }
}
