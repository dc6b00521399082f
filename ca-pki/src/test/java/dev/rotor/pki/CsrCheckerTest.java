package dev.rotor.pki;

import static dev.rotor.pki.TestKeys.csr;
import static dev.rotor.pki.TestKeys.dns;
import static dev.rotor.pki.TestKeys.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.OtherName;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CsrCheckerTest {

  private final CsrChecker checker = new CsrChecker(CryptoProviders.signing());

  // --- accepted ------------------------------------------------------------------------------

  static Stream<Arguments> accepted() {
    return Stream.of(
        ok("ok/p256", () -> csr(TestKeys.p256(), "SHA256withECDSA", dns("a.example")), KeyType.EC_P256, 256),
        ok("ok/p256-sha512", () -> csr(TestKeys.p256(), "SHA512withECDSA", dns("a.example")), KeyType.EC_P256, 256),
        ok("ok/p384", () -> csr(TestKeys.p384(), "SHA384withECDSA", dns("a.example")), KeyType.EC_P384, 384),
        ok("ok/ed25519", () -> csr(TestKeys.ed25519(), "Ed25519", dns("a.example")), KeyType.ED25519, 255),
        ok("ok/rsa-2048", () -> csr(TestKeys.rsa(2048), "SHA256withRSA", dns("a.example")), KeyType.RSA, 2048),
        ok("ok/rsa-2048-sha384", () -> csr(TestKeys.rsa(2048), "SHA384withRSA", dns("a.example")), KeyType.RSA, 2048),
        ok("ok/rsa-pss-sha256", () -> csr(TestKeys.rsa(2048), "SHA256withRSAandMGF1", dns("a.example")), KeyType.RSA, 2048),
        ok("ok/rsa-pss-sha512", () -> csr(TestKeys.rsa(2048), "SHA512withRSAandMGF1", dns("a.example")), KeyType.RSA, 2048),
        ok("ok/p256-compressed-point", () -> csr(compressed(TestKeys.p256()), TestKeys.p256(), "SHA256withECDSA"),
            KeyType.EC_P256, 256),
        ok("ok/no-san", () -> csr(TestKeys.p256(), "SHA256withECDSA"), KeyType.EC_P256, 256));
  }

  private static Arguments ok(String name, Supplier<byte[]> csr, KeyType type, int bits) {
    return Arguments.of(name, csr, type, bits);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void acceptsGoodCsrs(String name, Supplier<byte[]> csr, KeyType type, int bits) throws Exception {
    byte[] der = csr.get();
    CheckedCsr checked = checker.check(der);
    assertThat(checked.keyType()).isEqualTo(type);
    assertThat(checked.keyBits()).isEqualTo(bits);
    assertThat(checked.der()).isEqualTo(der);
    assertThat(checked.subject()).isEqualTo(new X500Name("CN=test"));
    // The same CSR in PEM gives the same result.
    assertThat(checker.check(Pem.encode("CERTIFICATE REQUEST", der)).keyType()).isEqualTo(type);
  }

  @Test
  void publicKeyIsTheRequestersKey() throws Exception {
    KeyPair keys = TestKeys.p256();
    CheckedCsr checked = checker.check(csr(keys, "SHA256withECDSA", dns("a.example")));
    assertThat(checked.publicKey()).isInstanceOf(ECPublicKey.class);
    assertThat(checked.publicKey().getEncoded()).isEqualTo(keys.getPublic().getEncoded());

    KeyPair rsa = TestKeys.rsa(2048);
    CheckedCsr rsaChecked = checker.check(csr(rsa, "SHA256withRSA", dns("a.example")));
    assertThat(((RSAPublicKey) rsaChecked.publicKey()).getModulus()).isEqualTo(((RSAPublicKey) rsa.getPublic()).getModulus());
  }

  @Test
  void compressedPointComesOutUncompressed() throws Exception {
    KeyPair keys = TestKeys.p256();
    CheckedCsr checked = checker.check(csr(compressed(keys), keys, "SHA256withECDSA"));
    assertThat(checked.publicKey().getEncoded()).isEqualTo(keys.getPublic().getEncoded());
  }

  @Test
  void acceptsLegacyNewCertificateRequestHeader() throws Exception {
    String pem = "junk before\n" + Pem.encode("NEW CERTIFICATE REQUEST", csr(TestKeys.p256(), "SHA256withECDSA", dns("a.example")));
    assertThat(checker.check(pem).names().dns()).containsExactly("a.example");
  }

  @Test
  void worksWithTheBouncyCastleProviderToo() throws Exception {
    CsrChecker bc = new CsrChecker(CryptoProviders.bouncyCastle());
    assertThat(bc.check(csr(TestKeys.ed25519(), "Ed25519", dns("a.example"))).keyType()).isEqualTo(KeyType.ED25519);
    assertThat(bc.check(csr(TestKeys.p384(), "SHA384withECDSA", dns("a.example"))).keyType()).isEqualTo(KeyType.EC_P384);
    assertThat(bc.check(csr(TestKeys.rsa(2048), "SHA256withRSAandMGF1", dns("a.example"))).keyType()).isEqualTo(KeyType.RSA);
  }

  // --- SAN extraction ------------------------------------------------------------------------

  @Test
  void extractsEveryKindOfName() throws Exception {
    byte[] der = csr(TestKeys.p256(), "SHA256withECDSA",
        dns("Web.Example.COM"),
        new GeneralName(GeneralName.iPAddress, "10.1.2.3"),
        new GeneralName(GeneralName.iPAddress, "2001:db8::1"),
        uri("spiffe://example.org/ns/default/sa/web"),
        new GeneralName(GeneralName.rfc822Name, "ops@example.com"));
    SubjectNames names = checker.check(der).names();
    assertThat(names.dns()).containsExactly("Web.Example.COM"); // kept as given, not lower-cased
    assertThat(names.ips()).containsExactly(InetAddress.getByName("10.1.2.3"), InetAddress.getByName("2001:db8::1"));
    assertThat(names.uris()).containsExactly(URI.create("spiffe://example.org/ns/default/sa/web"));
    assertThat(names.emails()).containsExactly("ops@example.com");
    assertThat(names.asStrings()).containsExactly(
        "Web.Example.COM", "10.1.2.3", "2001:db8:0:0:0:0:0:1", "spiffe://example.org/ns/default/sa/web", "ops@example.com");
  }

  @Test
  void keepsIpv4MappedIpv6AddressesAsSixteenBytes() throws Exception {
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = 10;
    mapped[15] = 1;
    byte[] der = csr(TestKeys.p256(), "SHA256withECDSA", new GeneralName(GeneralName.iPAddress, new DEROctetString(mapped)));
    assertThat(checker.check(der).names().ips().get(0).getAddress()).hasSize(16);
  }

  @Test
  void ignoresOtherRequestedExtensions() throws Exception {
    // The CA builds extensions from its profile and never copies them, so cA=true is harmless.
    KeyPair keys = TestKeys.p256();
    byte[] der = TestKeys.csrWithExtensions(spki(keys), keys, "SHA256withECDSA",
        TestKeys.sanExtension(new GeneralNames(dns("a.example"))),
        new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()),
        new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded()),
        new Extension(new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"), false, new byte[] {5, 0}));
    assertThat(checker.check(der).names().dns()).containsExactly("a.example");
  }

  // --- refused -------------------------------------------------------------------------------

  static Stream<Arguments> refused() throws Exception {
    KeyPair p256 = TestKeys.p256();
    KeyPair rsa2048 = TestKeys.rsa(2048);
    return Stream.of(
        fail("fail/rsa-1024", () -> csr(TestKeys.rsa(1024), "SHA256withRSA"), Problem.WEAK_KEY, "1024 bits"),
        fail("fail/rsa-even-exponent", () -> csr(rsaSpki(rsa2048, BigInteger.valueOf(65538)), rsa2048, "SHA256withRSA"),
            Problem.WEAK_KEY, "exponent is even"),
        fail("fail/rsa-exponent-1", () -> csr(rsaSpki(rsa2048, BigInteger.ONE), rsa2048, "SHA256withRSA"),
            Problem.WEAK_KEY, "at least 65537"),
        // Baseline Requirements §6.1.6 range; a real key with e = 3, self-signed with it.
        fail("fail/rsa-exponent-3",
            () -> csr(TestKeys.rsaWithExponent(2048, BigInteger.valueOf(3)), "SHA256withRSA", dns("a.example")),
            Problem.WEAK_KEY, "at least 65537"),
        fail("fail/rsa-huge-exponent", () -> csr(rsaSpki(rsa2048, BigInteger.ONE.shiftLeft(300).add(BigInteger.ONE)), rsa2048,
            "SHA256withRSA"), Problem.WEAK_KEY, "2^256"),
        fail("fail/rsa-small-factor", () -> csr(rsaSpki(smallFactorModulus(), BigInteger.valueOf(65537)), rsa2048,
            "SHA256withRSA"), Problem.WEAK_KEY, "small prime"),
        fail("fail/rsa-even-modulus", () -> csr(rsaSpki(BigInteger.ONE.shiftLeft(2047).add(BigInteger.TWO), BigInteger.valueOf(65537)),
            rsa2048, "SHA256withRSA"), Problem.WEAK_KEY, "even"),
        fail("fail/rsa-2044-bits", () -> csr(rsaSpki(BigInteger.ONE.shiftLeft(2043).add(BigInteger.ONE), BigInteger.valueOf(65537)),
            rsa2048, "SHA256withRSA"), Problem.WEAK_KEY, "2044"),
        fail("fail/rsa-too-large", () -> csr(rsaSpki(BigInteger.ONE.shiftLeft(8199).add(BigInteger.ONE), BigInteger.valueOf(65537)),
            rsa2048, "SHA256withRSA"), Problem.WEAK_KEY, "8200 bits"),
        fail("fail/sha1-rsa", () -> csr(rsa2048, "SHA1withRSA"), Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "SHA1"),
        fail("fail/md5-rsa", () -> csr(rsa2048, "MD5withRSA"), Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "MD5"),
        fail("fail/sha1-ecdsa", () -> csr(p256, "SHA1withECDSA"), Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "SHA1"),
        fail("fail/sha224-ecdsa", () -> csr(p256, "SHA224withECDSA"), Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "SHA224"),
        fail("fail/rsa-pss-sha1", () -> csr(rsa2048, "SHA1withRSAandMGF1"), Problem.UNSUPPORTED_SIGNATURE_ALGORITHM, "SHA"),
        fail("fail/p521", () -> csr(TestKeys.ec("secp521r1"), "SHA512withECDSA"), Problem.UNSUPPORTED_KEY, "secp521r1"),
        fail("fail/secp256k1", () -> csr(TestKeys.ec("secp256k1"), "SHA256withECDSA"), Problem.UNSUPPORTED_KEY, "secp256k1"),
        fail("fail/brainpool", () -> csr(TestKeys.ec("brainpoolP256r1"), "SHA256withECDSA"), Problem.UNSUPPORTED_KEY,
            "brainpoolP256r1"),
        fail("fail/ed448", () -> csr(TestKeys.ed448(), "Ed448"), Problem.UNSUPPORTED_KEY, "Ed448"),
        fail("fail/dsa", () -> csr(TestKeys.dsa(), "SHA256withDSA"), Problem.UNSUPPORTED_KEY, "DSA"),
        fail("fail/p256-off-curve", () -> csr(offCurve(p256), p256, "SHA256withECDSA"), Problem.WEAK_KEY, "not a point"),
        fail("fail/p256-infinity", () -> csr(ecSpki(new byte[] {0}), p256, "SHA256withECDSA"), Problem.WEAK_KEY, "infinity"),
        fail("fail/p256-bad-encoding", () -> csr(ecSpki(new byte[] {0x04, 1, 2, 3}), p256, "SHA256withECDSA"),
            Problem.MALFORMED, "point encoding"),
        fail("fail/ec-explicit-params", () -> csr(new SubjectPublicKeyInfo(new AlgorithmIdentifier(
            X9ObjectIdentifiers.id_ecPublicKey, DERNull.INSTANCE), spki(p256).getPublicKeyData().getBytes()), p256,
            "SHA256withECDSA"), Problem.UNSUPPORTED_KEY, "name their curve"),
        fail("fail/ed25519-small-order", () -> csr(new SubjectPublicKeyInfo(new AlgorithmIdentifier(
            org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519), identityPoint()), p256, "SHA256withECDSA"),
            Problem.WEAK_KEY, "Ed25519"),
        fail("fail/bad-signature", () -> flipLastByte(csr(p256, "SHA256withECDSA", dns("a.example"))),
            Problem.BAD_SIGNATURE, "does not verify"),
        fail("fail/bad-signature-rsa", () -> flipLastByte(csr(rsa2048, "SHA256withRSA", dns("a.example"))),
            Problem.BAD_SIGNATURE, "does not verify"),
        fail("fail/signed-by-other-key", () -> csr(spki(TestKeys.p384()), p256, "SHA256withECDSA"),
            Problem.BAD_SIGNATURE, "does not verify"),
        fail("fail/algorithm-key-mismatch", () -> csr(spki(p256), rsa2048, "SHA256withRSA"),
            Problem.BAD_SIGNATURE, "cannot be made"),
        fail("fail/duplicate-extension", () -> TestKeys.csrWithExtensions(spki(p256), p256, "SHA256withECDSA",
            TestKeys.sanExtension(new GeneralNames(dns("a.example"))),
            TestKeys.sanExtension(new GeneralNames(dns("b.example")))), Problem.BAD_EXTENSION, "more than once"),
        fail("fail/malformed-san", () -> TestKeys.csrWithExtensions(spki(p256), p256, "SHA256withECDSA",
            new Extension(Extension.subjectAlternativeName, false, new byte[] {0x30, 0x03, 0x01, 0x01, 0x00})),
            Problem.BAD_EXTENSION, "subjectAltName"),
        fail("fail/empty-san", () -> TestKeys.csrWithExtensions(spki(p256), p256, "SHA256withECDSA",
            new Extension(Extension.subjectAlternativeName, false, new byte[] {0x30, 0x00})), Problem.BAD_EXTENSION, "empty"),
        fail("fail/san-other-name", () -> csr(p256, "SHA256withECDSA", new GeneralName(GeneralName.otherName,
            new OtherName(new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), new DERUTF8String("u@example.com")))),
            Problem.BAD_EXTENSION, "unsupported SAN type otherName"),
        fail("fail/san-directory-name", () -> csr(p256, "SHA256withECDSA",
            new GeneralName(new X500Name("CN=evil"))), Problem.BAD_EXTENSION, "unsupported SAN type directoryName"),
        fail("fail/san-ip-5-bytes", () -> csr(p256, "SHA256withECDSA",
            new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[5]))), Problem.BAD_EXTENSION, "5 bytes"),
        fail("fail/san-ip-constraint-form", () -> csr(p256, "SHA256withECDSA",
            new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[8]))), Problem.BAD_EXTENSION, "8 bytes"),
        fail("fail/san-bad-uri", () -> csr(p256, "SHA256withECDSA", uri("spiffe://example.org/a b")),
            Problem.BAD_EXTENSION, "does not parse"),
        fail("fail/garbage", () -> new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, Problem.MALFORMED, ""),
        fail("fail/empty", () -> new byte[0], Problem.MALFORMED, "empty"),
        fail("fail/truncated", () -> truncated(csr(p256, "SHA256withECDSA", dns("a.example"))), Problem.MALFORMED, ""),
        fail("fail/trailing-data", () -> appendZero(csr(p256, "SHA256withECDSA", dns("a.example"))), Problem.MALFORMED,
            "trailing"),
        fail("fail/deeply-nested", CsrCheckerTest::deeplyNested, Problem.MALFORMED, "nested too deeply"),
        fail("fail/a-certificate-not-a-csr", () -> new DERSequence(new ASN1Encodable[] {
            new DERSequence(), new DERSequence(), new DERSequence(), new DERSequence()}).getEncoded(), Problem.MALFORMED, ""),
        fail("fail/too-large", () -> new byte[CsrChecker.MAX_DER_BYTES + 1], Problem.TOO_LARGE, "limit"));
  }

  private interface Der {
    byte[] get() throws Exception;
  }

  private static Arguments fail(String name, Der csr, Problem problem, String detail) {
    return Arguments.of(name, csr, problem, detail);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesBadCsrs(String name, Der csr, Problem problem, String detail) throws Exception {
    byte[] der = csr.get();
    assertThatThrownBy(() -> checker.check(der))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(problem))
        .hasMessageContaining(detail);
  }

  @Test
  void refusesNonPem() {
    assertThatThrownBy(() -> checker.check("hello"))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.NOT_PEM));
    assertThatThrownBy(() -> checker.check(Pem.certificate(new byte[] {1, 2, 3})))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.NOT_PEM));
  }

  @Test
  void refusesOversizePemBeforeParsing() {
    String pem = Pem.encode("CERTIFICATE REQUEST", new byte[Pem.MAX_PEM_CHARS]);
    assertThatThrownBy(() -> checker.check(pem))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TOO_LARGE));
  }

  @Test
  void refusesTwoExtensionRequestAttributes() throws Exception {
    KeyPair keys = TestKeys.p256();
    var builder = new org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder(new X500Name("CN=test"), spki(keys));
    builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
        new DERSequence(TestKeys.sanExtension(new GeneralNames(dns("a.example")))));
    builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
        new DERSequence(TestKeys.sanExtension(new GeneralNames(dns("b.example")))));
    byte[] der = builder.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
        .setProvider(CryptoProviders.bouncyCastle()).build(keys.getPrivate())).getEncoded();
    assertThatThrownBy(() -> checker.check(der))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_EXTENSION));
  }

  /**
   * Random damage to valid CSRs: every outcome is either a checked CSR or a PkiException, never
   * another exception or error.
   */
  @Test
  void noRuntimeExceptionEscapesForMutatedInput() {
    Random random = new Random(20240601);
    List<byte[]> seeds = List.of(
        csr(TestKeys.p256(), "SHA256withECDSA", dns("a.example"), uri("spiffe://example.org/ns/a/sa/b"),
            new GeneralName(GeneralName.iPAddress, "10.0.0.1")),
        csr(TestKeys.ed25519(), "Ed25519", dns("b.example")),
        csr(TestKeys.rsa(2048), "SHA256withRSAandMGF1", dns("c.example")));
    int accepted = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] der = seeds.get(i % seeds.size()).clone();
      der = mutate(der, random);
      try {
        checker.check(der);
        accepted++;
      } catch (PkiException expected) {
        assertThat(expected.problem()).isNotNull();
        assertThat(expected.getMessage()).isNotBlank();
      } catch (Throwable t) {
        org.assertj.core.api.Assertions.fail("iteration " + i + " threw " + t + " for " + java.util.HexFormat.of().formatHex(der), t);
      }
    }
    // Some mutations land in unsigned parts that do not matter (none do in a CSR, really), so
    // nearly everything must be refused.
    assertThat(accepted).isLessThan(100);
  }

  private static byte[] mutate(byte[] der, Random random) {
    switch (random.nextInt(4)) {
      case 0 -> {
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
          der[random.nextInt(der.length)] = (byte) random.nextInt(256);
        }
        return der;
      }
      case 1 -> {
        return Arrays.copyOf(der, random.nextInt(der.length));
      }
      case 2 -> {
        int at = random.nextInt(der.length);
        der[at] ^= (byte) (1 << random.nextInt(8));
        return der;
      }
      default -> {
        // Header bytes are where parsers go wrong: hit the first 40 bytes.
        der[random.nextInt(Math.min(40, der.length))] = (byte) random.nextInt(256);
        return der;
      }
    }
  }

  // --- builders for hostile keys -------------------------------------------------------------

  private static SubjectPublicKeyInfo spki(KeyPair keys) {
    return SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
  }

  private static SubjectPublicKeyInfo rsaSpki(KeyPair keys, BigInteger exponent) throws Exception {
    return rsaSpki(((RSAPublicKey) keys.getPublic()).getModulus(), exponent);
  }

  private static SubjectPublicKeyInfo rsaSpki(BigInteger modulus, BigInteger exponent) throws Exception {
    return new SubjectPublicKeyInfo(
        new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
        new DERSequence(new ASN1Encodable[] {new ASN1Integer(modulus), new ASN1Integer(exponent)}));
  }

  /** An odd 2048-bit modulus divisible by 751. */
  private static BigInteger smallFactorModulus() {
    BigInteger p = BigInteger.valueOf(751);
    BigInteger q = BigInteger.ONE.shiftLeft(2047).divide(p).add(BigInteger.ONE);
    if (!q.testBit(0)) {
      q = q.add(BigInteger.ONE);
    }
    BigInteger n = p.multiply(q);
    while (n.bitLength() != 2048) {
      q = q.add(BigInteger.TWO);
      n = p.multiply(q);
    }
    return n;
  }

  private static SubjectPublicKeyInfo ecSpki(byte[] point) {
    return new SubjectPublicKeyInfo(
        new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256r1), point);
  }

  private static SubjectPublicKeyInfo offCurve(KeyPair keys) {
    byte[] point = spki(keys).getPublicKeyData().getBytes().clone();
    point[point.length - 1] ^= 1;
    return ecSpki(point);
  }

  private static SubjectPublicKeyInfo compressed(KeyPair keys) {
    ECPublicKey pub = (ECPublicKey) keys.getPublic();
    byte[] x = org.bouncycastle.util.BigIntegers.asUnsignedByteArray(32, pub.getW().getAffineX());
    byte[] point = new byte[33];
    point[0] = (byte) (pub.getW().getAffineY().testBit(0) ? 0x03 : 0x02);
    System.arraycopy(x, 0, point, 1, 32);
    return ecSpki(point);
  }

  /** The Ed25519 encoding of the identity point (y = 1): small order. */
  private static byte[] identityPoint() {
    byte[] point = new byte[32];
    point[0] = 1;
    return point;
  }

  private static byte[] flipLastByte(byte[] der) {
    der[der.length - 1] ^= 0x01;
    return der;
  }

  private static byte[] truncated(byte[] der) {
    return Arrays.copyOf(der, der.length - 10);
  }

  private static byte[] appendZero(byte[] der) {
    return Arrays.copyOf(der, der.length + 2);
  }

  /** 5,000 nested SEQUENCEs: enough to overflow a recursive parser's stack. */
  private static byte[] deeplyNested() {
    byte[] inner = new byte[0];
    for (int i = 0; i < 5000; i++) {
      int len = inner.length;
      byte[] header = len < 0x80 ? new byte[] {0x30, (byte) len}
          : len < 0x100 ? new byte[] {0x30, (byte) 0x81, (byte) len}
          : new byte[] {0x30, (byte) 0x82, (byte) (len >> 8), (byte) len};
      byte[] next = new byte[header.length + len];
      System.arraycopy(header, 0, next, 0, header.length);
      System.arraycopy(inner, 0, next, header.length, len);
      inner = next;
    }
    return inner;
  }
}
