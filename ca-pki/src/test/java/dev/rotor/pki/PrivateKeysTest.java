package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.stream.Stream;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PrivateKeysTest {

  private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

  static Stream<Arguments> keys() {
    return Stream.of(
        Arguments.of("ok/p256", TestKeys.p256()),
        Arguments.of("ok/p384-accp", TestCa.of(KeyAlgorithm.EC_P384).keys()),
        Arguments.of("ok/rsa-3072", TestCa.rsa3072()),
        Arguments.of("ok/ed25519", TestKeys.ed25519()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("keys")
  void encryptDecryptRoundTrip(String name, KeyPair keys) throws Exception {
    String pem = PrivateKeys.encrypt(keys.getPrivate(), PASSPHRASE, PrivateKeys.MIN_ITERATIONS);
    assertThat(pem).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n").endsWith("-----END ENCRYPTED PRIVATE KEY-----\n");
    PrivateKey decrypted = PrivateKeys.decrypt(pem, PASSPHRASE);
    assertThat(PrivateKeys.matches(keys.getPublic(), decrypted)).isTrue();
  }

  @Test
  void wrongPassphraseIsReportedAsSuchWithoutACause() throws Exception {
    String pem = PrivateKeys.encrypt(TestKeys.p256().getPrivate(), PASSPHRASE, PrivateKeys.MIN_ITERATIONS);
    // Many wrong passphrases: about 1 in 256 decrypts to valid padding, and must still be refused.
    for (int i = 0; i < 20; i++) {
      char[] wrong = ("wrong-" + i).toCharArray();
      assertThatThrownBy(() -> PrivateKeys.decrypt(pem, wrong))
          .isInstanceOfSatisfying(PkiException.class, e -> {
            assertThat(e.problem()).isEqualTo(Problem.WRONG_PASSPHRASE);
            assertThat(e.getCause()).isNull();
          });
    }
  }

  @Test
  void encryptedFormIsPbes2WithPbkdf2HmacSha256AndAes256Cbc() throws Exception {
    String pem = PrivateKeys.encrypt(TestKeys.p256().getPrivate(), PASSPHRASE);
    EncryptedPrivateKeyInfo info = EncryptedPrivateKeyInfo.getInstance(Pem.decodeOne(pem, "ENCRYPTED PRIVATE KEY"));
    assertThat(info.getEncryptionAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_PBES2);
    PBES2Parameters pbes2 = PBES2Parameters.getInstance(info.getEncryptionAlgorithm().getParameters());
    KeyDerivationFunc kdf = pbes2.getKeyDerivationFunc();
    assertThat(kdf.getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_PBKDF2);
    PBKDF2Params params = PBKDF2Params.getInstance(kdf.getParameters());
    assertThat(params.getSalt()).hasSize(16);
    assertThat(params.getIterationCount().intValue()).isEqualTo(PrivateKeys.DEFAULT_ITERATIONS).isGreaterThanOrEqualTo(100_000);
    assertThat(params.getPrf().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_hmacWithSHA256);
    EncryptionScheme scheme = pbes2.getEncryptionScheme();
    assertThat(scheme.getAlgorithm().getId()).isEqualTo("2.16.840.1.101.3.4.1.42");
    assertThat(scheme.getAlgorithm()).isEqualTo(NISTObjectIdentifiers.id_aes256_CBC);
  }

  @Test
  void everyEncryptionUsesAFreshSalt() throws Exception {
    PrivateKey key = TestKeys.p256().getPrivate();
    String a = PrivateKeys.encrypt(key, PASSPHRASE, PrivateKeys.MIN_ITERATIONS);
    String b = PrivateKeys.encrypt(key, PASSPHRASE, PrivateKeys.MIN_ITERATIONS);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void refusesWeakSettings() {
    PrivateKey key = TestKeys.p256().getPrivate();
    assertThatThrownBy(() -> PrivateKeys.encrypt(key, PASSPHRASE, 99_999)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PrivateKeys.encrypt(key, new char[0], 100_000)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parsesPkcs8() throws Exception {
    KeyPair keys = TestKeys.p256();
    PrivateKey parsed = PrivateKeys.parse(PrivateKeys.toPem(keys.getPrivate()));
    assertThat(PrivateKeys.matches(keys.getPublic(), parsed)).isTrue();
    KeyPair ed = TestKeys.ed25519();
    assertThat(PrivateKeys.matches(ed.getPublic(), PrivateKeys.parse(PrivateKeys.toPem(ed.getPrivate())))).isTrue();
  }

  @Test
  void parsesSec1WithLeadingEcParameters() throws Exception {
    KeyPair keys = TestKeys.p256();
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
    String pem = Pem.encode("EC PARAMETERS", info.getPrivateKeyAlgorithm().getParameters().toASN1Primitive().getEncoded())
        + Pem.encode("EC PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
    assertThat(PrivateKeys.matches(keys.getPublic(), PrivateKeys.parse(pem))).isTrue();
  }

  @Test
  void parsesPkcs1() throws Exception {
    KeyPair keys = TestCa.rsa3072();
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
    String pem = Pem.encode("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
    assertThat(PrivateKeys.matches(keys.getPublic(), PrivateKeys.parse(pem))).isTrue();
  }

  @Test
  void legacyOpenSslEncryptionDecryptsToo() throws Exception {
    KeyPair keys = TestKeys.p256();
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(keys.getPrivate(), new JcePEMEncryptorBuilder("AES-256-CBC")
          .setProvider(CryptoProviders.bouncyCastle()).setSecureRandom(new SecureRandom()).build(PASSPHRASE));
    }
    String pem = out.toString();
    assertThat(pem).contains("Proc-Type: 4,ENCRYPTED");
    assertThat(PrivateKeys.matches(keys.getPublic(), PrivateKeys.decrypt(pem, PASSPHRASE))).isTrue();
    assertThatThrownBy(() -> PrivateKeys.decrypt(pem, "nope".toCharArray()))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_PASSPHRASE));
    assertThatThrownBy(() -> PrivateKeys.parse(pem))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_PASSPHRASE));
  }

  @Test
  void parseOfAnEncryptedKeyAsksForThePassphrase() throws Exception {
    String pem = PrivateKeys.encrypt(TestKeys.p256().getPrivate(), PASSPHRASE, PrivateKeys.MIN_ITERATIONS);
    assertThatThrownBy(() -> PrivateKeys.parse(pem))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_PASSPHRASE))
        .hasMessageContaining("encrypted");
  }

  @Test
  void refusesWhatIsNotAKey() throws Exception {
    assertThatThrownBy(() -> PrivateKeys.parse("hello"))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.NOT_PEM));
    assertThatThrownBy(() -> PrivateKeys.parse(Pem.certificate(TestCa.ecRoot().getEncoded())))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.NOT_PEM));
    assertThatThrownBy(() -> PrivateKeys.parse(Pem.encode("PRIVATE KEY", new byte[] {0x30, 0x03, 2, 1, 0})))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isIn(Problem.MALFORMED, Problem.UNSUPPORTED_KEY));
    assertThatThrownBy(() -> PrivateKeys.parse(Pem.encode("PRIVATE KEY", new byte[] {1, 2, 3})))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.MALFORMED));
    assertThatThrownBy(() -> PrivateKeys.decrypt(PrivateKeys.toPem(TestKeys.p256().getPrivate()), PASSPHRASE))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.MALFORMED));
    assertThatThrownBy(() -> PrivateKeys.parse("x".repeat(Pem.MAX_PEM_CHARS + 1)))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TOO_LARGE));
  }

  @Test
  void errorMessagesNeverQuoteTheKey() throws Exception {
    String keyPem = PrivateKeys.toPem(TestKeys.p256().getPrivate());
    String body = keyPem.lines().skip(1).findFirst().orElseThrow();
    // Corrupt the body: parser complaints must not echo it.
    String corrupt = keyPem.replace(body, body.substring(0, 20) + "!!!!" + body.substring(24));
    assertThatThrownBy(() -> PrivateKeys.parse(corrupt))
        .isInstanceOfSatisfying(PkiException.class, e -> {
          assertThat(e.getMessage()).doesNotContain(body.substring(0, 20));
          assertThat(e.getCause()).isNull();
        });
  }

  @Test
  void matchesTellsPairsApart() {
    assertThat(PrivateKeys.matches(TestKeys.p256().getPublic(), TestKeys.p256().getPrivate())).isTrue();
    assertThat(PrivateKeys.matches(TestKeys.p256().getPublic(), TestCa.of(KeyAlgorithm.EC_P256).keys().getPrivate())).isFalse();
    assertThat(PrivateKeys.matches(TestKeys.p256().getPublic(), TestCa.rsa3072().getPrivate())).isFalse();
    assertThat(PrivateKeys.matches(TestCa.rsa3072().getPublic(), TestCa.rsa3072().getPrivate())).isTrue();
    assertThat(PrivateKeys.matches(TestKeys.ed25519().getPublic(), TestKeys.ed25519().getPrivate())).isTrue();
    assertThat(PrivateKeys.matches(null, TestKeys.p256().getPrivate())).isFalse();
  }
}
