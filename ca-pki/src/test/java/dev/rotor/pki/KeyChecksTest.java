package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.util.Random;
import java.util.stream.Stream;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real weak keys, built here from their definitions (a fixed seed keeps them the same every run),
 * and real good keys that must pass.
 */
class KeyChecksTest {

  private static final BigInteger F4 = BigInteger.valueOf(65537);

  // --- RSA -----------------------------------------------------------------------------------

  static Stream<Arguments> weakRsa() {
    Random rnd = new Random(10);
    BigInteger n = modulus(TestKeys.rsa(2048));
    BigInteger p = prime1024(rnd);
    return Stream.of(
        Arguments.of("fail/small-factor-3", withFactor(3, rnd), F4, "small prime factor"),
        // The largest prime below the bound (752, Boulder's).
        Arguments.of("fail/small-factor-751", withFactor(751, rnd), F4, "small prime factor"),
        // q = the next prime after p: Fermat's method factors n in its first round.
        Arguments.of("fail/fermat-next-prime", p.multiply(p.nextProbablePrime()), F4, "Fermat"),
        // |p − q| ≈ 2^515: a ≈ √n + (p − q)²/(8√n) ≈ √n + 8, found within the 100 rounds.
        Arguments.of("fail/fermat-gap-2^515", p.multiply(p.add(BigInteger.ONE.shiftLeft(515)).nextProbablePrime()), F4,
            "Fermat"),
        Arguments.of("fail/square", p.multiply(p), F4, "Fermat"),
        Arguments.of("fail/roca", rocaModulus(rnd), F4, "ROCA"),
        Arguments.of("fail/exponent-3", n, BigInteger.valueOf(3), "at least 65537"),
        Arguments.of("fail/exponent-even", n, BigInteger.valueOf(65538), "exponent is even"),
        Arguments.of("fail/exponent-257", n, BigInteger.valueOf(257), "at least 65537"),
        Arguments.of("fail/exponent-2^256+1", n, BigInteger.ONE.shiftLeft(256).add(BigInteger.ONE), "below 2^256"),
        Arguments.of("fail/modulus-8200-bits", BigInteger.ONE.shiftLeft(8199).add(BigInteger.ONE), F4, "8200 bits"),
        Arguments.of("fail/modulus-even", n.add(BigInteger.ONE), F4, "even"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("weakRsa")
  void refusesWeakRsaKeys(String name, BigInteger modulus, BigInteger exponent, String detail) {
    assertThatThrownBy(() -> KeyChecks.checkRsa(modulus, exponent))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WEAK_KEY))
        .hasMessageContaining(detail);
  }

  @Test
  void acceptsGoodRsaKeys() {
    Random rnd = new Random(11);
    BigInteger p = prime1024(rnd);
    assertThatCode(() -> {
      KeyChecks.checkRsa(modulus(TestKeys.rsa(2048)), F4);
      KeyChecks.checkRsa(modulus(TestKeys.rsa(3072)), F4);
      KeyChecks.checkRsa(modulus(TestKeys.rsa(2048)), BigInteger.ONE.shiftLeft(255).add(BigInteger.ONE));
      // Primes 2^600 apart: far beyond the reach of 100 Fermat rounds.
      KeyChecks.checkRsa(p.multiply(p.add(BigInteger.ONE.shiftLeft(600)).nextProbablePrime()), F4);
    }).doesNotThrowAnyException();
  }

  @Test
  void rocaSubgroupsMatchThePublishedFingerprint() {
    // The first masks of the published ROCA detector (Nemec et al. 2017): bit x is set when x is
    // a power of 65537 modulo the prime.
    assertThat(new long[] {
        KeyChecks.rocaMask(3), KeyChecks.rocaMask(5), KeyChecks.rocaMask(7), KeyChecks.rocaMask(11),
        KeyChecks.rocaMask(13), KeyChecks.rocaMask(17), KeyChecks.rocaMask(19), KeyChecks.rocaMask(23)})
        .containsExactly(6, 30, 126, 1026, 5658, 107286, 199410, 8388606);
  }

  @Test
  void rocaModulusIsRefusedThroughTheCsrChecker() throws Exception {
    // The whole path: a CSR carrying the ROCA key (signed by another key; the key check comes first).
    KeyPair signer = TestKeys.rsa(2048);
    byte[] der = TestKeys.csr(rsaSpki(rocaModulus(new Random(12)), F4), signer, "SHA256withRSA");
    assertThatThrownBy(() -> new CsrChecker(CryptoProviders.bouncyCastle()).check(der))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WEAK_KEY))
        .hasMessageContaining("ROCA");
  }

  @Test
  void checksCostMicroseconds() throws Exception {
    BigInteger n = modulus(TestKeys.rsa(2048));
    for (int i = 0; i < 2_000; i++) {
      KeyChecks.checkRsa(n, F4);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < 2_000; i++) {
      KeyChecks.checkRsa(n, F4);
    }
    long perCheck = (System.nanoTime() - t0) / 2_000;
    // Generous for a shared CI machine (measured ~20 µs under load); fails if a check turns into milliseconds.
    assertThat(perCheck).isLessThan(500_000);
  }

  // --- EC ------------------------------------------------------------------------------------

  @Test
  void acceptsGoodEcPoints() {
    for (String curve : new String[] {"secp256r1", "secp384r1"}) {
      X9ECParameters x9 = CustomNamedCurves.getByName(curve);
      ECPoint q = x9.getG().multiply(new BigInteger(200, new Random(13)));
      assertThatCode(() -> KeyChecks.checkEcPoint(q)).doesNotThrowAnyException();
    }
  }

  @Test
  void refusesPointAtInfinity() {
    X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
    assertThatThrownBy(() -> KeyChecks.checkEcPoint(x9.getCurve().getInfinity()))
        .isInstanceOf(PkiException.class).hasMessageContaining("infinity");
  }

  @Test
  void refusesPointOffTheCurve() {
    X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
    ECPoint g = x9.getG();
    ECPoint off = x9.getCurve().createPoint(g.getAffineXCoord().toBigInteger(),
        g.getAffineYCoord().toBigInteger().add(BigInteger.ONE));
    assertThatThrownBy(() -> KeyChecks.checkEcPoint(off))
        .isInstanceOf(PkiException.class).hasMessageContaining("not a point on the curve");
  }

  @Test
  void refusesCoordinateAtTheFieldPrimeThroughTheCsrChecker() throws Exception {
    // x = p is x = 0 reduced; an encoding that only a lax decoder would accept.
    X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
    byte[] point = new byte[65];
    point[0] = 0x04;
    System.arraycopy(BigIntegers.asUnsignedByteArray(32, x9.getCurve().getField().getCharacteristic()), 0, point, 1, 32);
    System.arraycopy(BigIntegers.asUnsignedByteArray(32, x9.getG().getAffineYCoord().toBigInteger()), 0, point, 33, 32);
    SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(
        new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256r1), point);
    byte[] der = TestKeys.csr(spki, TestKeys.p256(), "SHA256withECDSA");
    assertThatThrownBy(() -> new CsrChecker(CryptoProviders.bouncyCastle()).check(der))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WEAK_KEY));
  }

  // --- key builders ----------------------------------------------------------------------------

  private static BigInteger modulus(KeyPair keys) {
    return ((RSAPublicKey) keys.getPublic()).getModulus();
  }

  /** Above this, two 1024-bit factors make a modulus of exactly 2048 bits (0.7072 > 1/√2). */
  private static final BigInteger HIGH_1024 = BigInteger.ONE.shiftLeft(1024).multiply(BigInteger.valueOf(7072))
      .divide(BigInteger.valueOf(10_000));

  /** A prime in [0.7072·2^1024, 2^1024). */
  private static BigInteger prime1024(Random rnd) {
    BigInteger span = BigInteger.ONE.shiftLeft(1024).subtract(HIGH_1024).shiftRight(1);
    return HIGH_1024.add(new BigInteger(1022, rnd).mod(span)).nextProbablePrime();
  }

  /** A 2048-bit odd modulus {@code factor · q}, q a large prime. */
  private static BigInteger withFactor(int factor, Random rnd) {
    BigInteger f = BigInteger.valueOf(factor);
    while (true) {
      BigInteger n = f.multiply(BigInteger.probablePrime(2048 - (32 - Integer.numberOfLeadingZeros(factor)) + 1, rnd));
      if (n.bitLength() == 2048) {
        return n;
      }
    }
  }

  /**
   * A 2048-bit modulus with Infineon's prime structure (Nemec et al. 2017 §2): each prime is
   * {@code k·M + (65537^a mod M)}, M the product of the primes up to 167, so n ≡ 65537^(a+b)
   * modulo every one of them — exactly the fingerprint. k and a are random, so n has no other
   * weakness the checks could trip on first.
   */
  static BigInteger rocaModulus(Random rnd) {
    BigInteger m = BigInteger.ONE;
    for (int r = 2; r <= 167; r++) {
      if (BigInteger.valueOf(r).isProbablePrime(30)) {
        m = m.multiply(BigInteger.valueOf(r));
      }
    }
    return rocaPrime(m, rnd).multiply(rocaPrime(m, rnd));
  }

  /** A prime k·M + (65537^a mod M) in [0.7072·2^1024, 2^1024), k and a random. */
  private static BigInteger rocaPrime(BigInteger m, Random rnd) {
    BigInteger kMin = HIGH_1024.divide(m).add(BigInteger.ONE);
    BigInteger kSpan = BigInteger.ONE.shiftLeft(1024).divide(m).subtract(kMin);
    while (true) {
      BigInteger k = kMin.add(new BigInteger(kSpan.bitLength() + 8, rnd).mod(kSpan));
      BigInteger p = k.multiply(m).add(F4.modPow(new BigInteger(64, rnd), m));
      if (p.isProbablePrime(40)) {
        return p;
      }
    }
  }

  private static SubjectPublicKeyInfo rsaSpki(BigInteger modulus, BigInteger exponent) throws Exception {
    return new SubjectPublicKeyInfo(new AlgorithmIdentifier(
        org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption, org.bouncycastle.asn1.DERNull.INSTANCE),
        new org.bouncycastle.asn1.pkcs.RSAPublicKey(modulus, exponent));
  }
}
