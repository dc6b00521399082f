package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.Signature;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyAlgorithmTest {

  static Stream<Arguments> names() {
    return Stream.of(
        Arguments.of("ec-p256", KeyAlgorithm.EC_P256), Arguments.of("p256", KeyAlgorithm.EC_P256),
        Arguments.of("P-256", KeyAlgorithm.EC_P256), Arguments.of("EC-P256", KeyAlgorithm.EC_P256),
        Arguments.of("ec-p384", KeyAlgorithm.EC_P384), Arguments.of("P384", KeyAlgorithm.EC_P384),
        Arguments.of("p-384", KeyAlgorithm.EC_P384), Arguments.of("rsa-3072", KeyAlgorithm.RSA_3072),
        Arguments.of("RSA3072", KeyAlgorithm.RSA_3072));
  }

  @ParameterizedTest(name = "ok/{0}")
  @MethodSource("names")
  void parsesAcceptedNames(String name, KeyAlgorithm expected) {
    assertThat(KeyAlgorithm.parse(name)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "fail/{0}")
  @ValueSource(strings = {"", "p521", "rsa-2048", "ed25519", "ec"})
  void refusesOthersListingTheAcceptedValues(String name) {
    assertThatThrownBy(() -> KeyAlgorithm.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ec-p256")
        .hasMessageContaining("ec-p384")
        .hasMessageContaining("rsa-3072");
  }

  @Test
  void generatesKeysThatSignWithTheirAlgorithmAndAreRecognised() throws Exception {
    for (KeyAlgorithm alg : new KeyAlgorithm[] {KeyAlgorithm.EC_P256, KeyAlgorithm.EC_P384}) {
      KeyPair keys = alg.generate();
      assertThat(KeyAlgorithm.of(keys.getPublic())).isEqualTo(alg);
      Signature s = Signature.getInstance(alg.signatureAlgorithm(), CryptoProviders.signing());
      s.initSign(keys.getPrivate());
      s.update(new byte[] {1});
      byte[] sig = s.sign();
      s.initVerify(keys.getPublic());
      s.update(new byte[] {1});
      assertThat(s.verify(sig)).isTrue();
    }
    assertThat(KeyAlgorithm.of(TestCa.rsa3072().getPublic())).isEqualTo(KeyAlgorithm.RSA_3072);
    assertThat(KeyAlgorithm.EC_P256.signatureAlgorithm()).isEqualTo("SHA256withECDSA");
    assertThat(KeyAlgorithm.EC_P384.signatureAlgorithm()).isEqualTo("SHA384withECDSA");
    assertThat(KeyAlgorithm.RSA_3072.signatureAlgorithm()).isEqualTo("SHA256withRSA");
  }

  @Test
  void recognisesKeysFromOtherProviders() {
    assertThat(KeyAlgorithm.of(TestKeys.p256().getPublic())).isEqualTo(KeyAlgorithm.EC_P256); // BouncyCastle
  }

  @Test
  void refusesUnsupportedKeys() {
    assertThatThrownBy(() -> KeyAlgorithm.of(TestKeys.ec("secp521r1").getPublic())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyAlgorithm.of(TestKeys.rsa(2048).getPublic())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyAlgorithm.of(TestKeys.ed25519().getPublic())).isInstanceOf(IllegalArgumentException.class);
  }
}
