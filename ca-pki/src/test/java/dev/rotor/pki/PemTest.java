package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PemTest {

  @Test
  void encodesWithSixtyFourCharLines() {
    byte[] der = new byte[100];
    Arrays.fill(der, (byte) 7);
    String pem = Pem.encode("CERTIFICATE", der);
    String[] lines = pem.split("\n", -1);
    assertThat(lines[0]).isEqualTo("-----BEGIN CERTIFICATE-----");
    // 100 bytes are 136 base64 characters: 64 + 64 + 8.
    assertThat(lines[1]).hasSize(64);
    assertThat(lines[2]).hasSize(64);
    assertThat(lines[3]).hasSize(8);
    assertThat(lines[4]).isEqualTo("-----END CERTIFICATE-----");
    assertThat(lines[5]).isEmpty(); // ends with "\n"
    assertThat(lines).hasSize(6);
    assertThat(pem).doesNotContain("\r");
  }

  @ParameterizedTest(name = "ok/length-{0}")
  @ValueSource(ints = {1, 47, 48, 49, 1000})
  void roundTrips(int length) throws Exception {
    byte[] der = new byte[length];
    for (int i = 0; i < length; i++) {
      der[i] = (byte) (i * 31);
    }
    assertThat(Pem.decodeOne(Pem.encode("X", der), "X")).isEqualTo(der);
  }

  @Test
  void decodeOneTakesTheFirstBlockOfTheTypeAndSkipsOthers() throws Exception {
    String pem = "preamble\n" + Pem.encode("PRIVATE KEY", new byte[] {9}) + Pem.encode("CERTIFICATE", new byte[] {1})
        + "between\n" + Pem.encode("CERTIFICATE", new byte[] {2});
    assertThat(Pem.decodeOne(pem, "CERTIFICATE")).containsExactly(1);
    assertThat(Pem.decodeAll(pem, "CERTIFICATE")).containsExactly(new byte[] {1}, new byte[] {2});
  }

  @Test
  void typeMatchesExactly() {
    String pem = Pem.encode("NEW CERTIFICATE REQUEST", new byte[] {1});
    assertThatThrownBy(() -> Pem.decodeOne(pem, "CERTIFICATE REQUEST")).is(problem(Problem.NOT_PEM));
    assertThatThrownBy(() -> Pem.decodeOne(Pem.encode("CERTIFICATE REQUEST", new byte[] {1}), "CERTIFICATE"))
        .is(problem(Problem.NOT_PEM));
  }

  @Test
  void toleratesCrLfAndIndentation() throws Exception {
    String pem = "-----BEGIN CERTIFICATE-----\r\n  AQID\r\n\tBA==\r\n-----END CERTIFICATE-----\r\n";
    assertThat(Pem.decodeOne(pem, "CERTIFICATE")).containsExactly(1, 2, 3, 4);
  }

  @Test
  void refusesBadBodies() {
    assertThatThrownBy(() -> Pem.decodeOne("-----BEGIN X-----\nAQ!D\n-----END X-----\n", "X")).is(problem(Problem.MALFORMED));
    assertThatThrownBy(() -> Pem.decodeOne("-----BEGIN X-----\nAQID\n", "X")).is(problem(Problem.MALFORMED));
    assertThatThrownBy(() -> Pem.decodeOne("-----BEGIN X-----\n-----END X-----\n", "X")).is(problem(Problem.MALFORMED));
    assertThatThrownBy(() -> Pem.decodeOne(
        "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END X-----\n", "X")).is(problem(Problem.MALFORMED));
  }

  @Test
  void refusesNonPem() {
    assertThatThrownBy(() -> Pem.decodeOne("", "X")).is(problem(Problem.NOT_PEM));
    assertThatThrownBy(() -> Pem.decodeOne(null, "X")).is(problem(Problem.NOT_PEM));
    assertThatThrownBy(() -> Pem.decodeAll("nothing here", "X")).is(problem(Problem.NOT_PEM));
  }

  @Test
  void checksSizeBeforeParsing() {
    // Not PEM at all, but too large is what is reported: no parsing happens past the limit.
    String huge = "x".repeat(Pem.MAX_PEM_CHARS + 1);
    assertThatThrownBy(() -> Pem.decodeOne(huge, "X")).is(problem(Problem.TOO_LARGE));
    assertThatThrownBy(() -> Pem.decodeAll(huge, "X")).is(problem(Problem.TOO_LARGE));
    String atLimit = "x".repeat(Pem.MAX_PEM_CHARS);
    assertThatThrownBy(() -> Pem.decodeOne(atLimit, "X")).is(problem(Problem.NOT_PEM));
  }

  @Test
  @Timeout(5)
  void hostileInputParsesInLinearTime() {
    // Many BEGIN lines and dashes: a backtracking regex would blow up on this shape.
    StringBuilder sb = new StringBuilder();
    while (sb.length() < Pem.MAX_PEM_CHARS - 40) {
      sb.append("-----BEGIN X----- ");
    }
    String pem = sb.toString();
    for (int i = 0; i < 200; i++) {
      assertThatThrownBy(() -> Pem.decodeOne(pem, "X")).isInstanceOf(PkiException.class);
      assertThatThrownBy(() -> Pem.decodeOne("-".repeat(Pem.MAX_PEM_CHARS), "X")).isInstanceOf(PkiException.class);
    }
  }

  @Test
  void parsesCertificatesAndRefusesGarbage() throws Exception {
    var root = TestCa.ecRoot();
    byte[] der = root.getEncoded();
    assertThat(Pem.parseCertificate(der)).isEqualTo(root);
    assertThat(Pem.parseCertificates(Pem.certificates(List.of(der, der)))).containsExactly(root, root);
    assertThatThrownBy(() -> Pem.parseCertificate(new byte[] {0x30, 0x03, 1, 1, 0})).is(problem(Problem.MALFORMED));
    assertThatThrownBy(() -> Pem.parseCertificate(Arrays.copyOf(der, der.length + 1))).is(problem(Problem.MALFORMED));
    assertThatThrownBy(() -> Pem.parseCertificate(Arrays.copyOf(der, der.length - 1))).is(problem(Problem.MALFORMED));
  }

  static org.assertj.core.api.Condition<Throwable> problem(Problem problem) {
    return new org.assertj.core.api.Condition<>(
        t -> t instanceof PkiException e && e.problem() == problem, "PkiException(" + problem + ")");
  }
}
