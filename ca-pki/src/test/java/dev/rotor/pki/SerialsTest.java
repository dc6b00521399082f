package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Integer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SerialsTest {

  @Test
  void randomSerialsArePositiveShortAndUnique() throws Exception {
    Set<BigInteger> seen = new HashSet<>();
    int topBitSet = 0;
    for (int i = 0; i < 100_000; i++) {
      BigInteger serial = Serials.random();
      assertThat(serial.signum()).isPositive();
      // DER INTEGER content octets: at most 17 for 128 bits (RFC 5280 §4.1.2.2 allows 20).
      byte[] der = new ASN1Integer(serial).getEncoded();
      assertThat(der.length - 2).isLessThanOrEqualTo(17);
      assertThat(seen.add(serial)).isTrue();
      if (serial.bitLength() == 128) {
        topBitSet++;
      }
    }
    // Uses the full 128 bits: about half have the top bit set.
    assertThat(topBitSet).isBetween(45_000, 55_000);
  }

  @Test
  void hexRoundTrips() throws Exception {
    for (int i = 0; i < 1000; i++) {
      BigInteger serial = Serials.random();
      String hex = Serials.toHex(serial);
      assertThat(hex).matches("[0-9a-f]+").doesNotStartWith("0");
      assertThat(Serials.fromHex(hex)).isEqualTo(serial);
    }
    assertThat(Serials.toHex(BigInteger.ZERO)).isEqualTo("0");
    assertThat(Serials.fromHex("00FF")).isEqualTo(BigInteger.valueOf(255));
    assertThat(Serials.fromHex("f".repeat(40))).isEqualTo(BigInteger.ONE.shiftLeft(160).subtract(BigInteger.ONE));
  }

  @ParameterizedTest(name = "fail/{0}")
  @ValueSource(strings = {"", "-1", "0x12", "12 ", "g", "１２", "٣"})
  void fromHexRefusesNonHex(String hex) {
    assertThatThrownBy(() -> Serials.fromHex(hex))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.MALFORMED));
  }

  @Test
  void fromHexRefusesMoreThanFortyDigitsAndNull() {
    assertThatThrownBy(() -> Serials.fromHex("1".repeat(41))).isInstanceOf(PkiException.class);
    assertThatThrownBy(() -> Serials.fromHex(null)).isInstanceOf(PkiException.class);
  }
}
