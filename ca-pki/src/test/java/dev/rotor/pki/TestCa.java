package dev.rotor.pki;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.X500Name;

/** Root and intermediate CAs for tests, built once per key algorithm for the whole run. */
final class TestCa {

  static final String TRUST_DOMAIN = "example.org";
  static final List<String> SUFFIXES = List.of("svc.cluster.local", "example.com");
  /** A fixed "now": tests never depend on the wall clock. */
  static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");
  static final Instant ROOT_NOT_AFTER = NOW.plus(Duration.ofDays(3650));
  static final Instant INTERMEDIATE_NOT_AFTER = NOW.plus(Duration.ofDays(30));

  /** One CA hierarchy: a root and a name-constrained intermediate that signs. */
  record Hierarchy(KeyAlgorithm algorithm, KeyPair rootKeys, X509Certificate root, KeyPair keys,
                   X509Certificate intermediate, SigningCa ca) {}

  private static final Map<KeyAlgorithm, Hierarchy> CACHE = new ConcurrentHashMap<>();
  private static final Map<String, KeyPair> KEYS = new ConcurrentHashMap<>();

  private TestCa() {}

  static Hierarchy of(KeyAlgorithm alg) {
    return CACHE.computeIfAbsent(alg, TestCa::build);
  }

  static X509Certificate ecRoot() {
    return of(KeyAlgorithm.EC_P256).root();
  }

  static KeyPair rsa3072() {
    return KEYS.computeIfAbsent("rsa3072", k -> KeyAlgorithm.RSA_3072.generate());
  }

  private static Hierarchy build(KeyAlgorithm alg) {
    try {
      CaBuilder builder = new CaBuilder(CryptoProviders.signing());
      KeyPair rootKeys = alg == KeyAlgorithm.RSA_3072 ? rsa3072() : alg.generate();
      X509Certificate root = builder.root(rootKeys, alg, new X500Name("CN=Rotor Test Root " + alg + ",O=Rotor"),
          NOW.minus(Duration.ofDays(1)), ROOT_NOT_AFTER);
      KeyPair keys = alg.generate();
      X509Certificate intermediate = builder.intermediate(keys, alg,
          new X500Name("CN=Rotor Test Intermediate " + alg + ",O=Rotor"),
          new SigningCa(root, rootKeys.getPrivate(), alg), NOW.minus(Duration.ofHours(1)), INTERMEDIATE_NOT_AFTER,
          new NameConstraintsSpec(TRUST_DOMAIN, SUFFIXES));
      return new Hierarchy(alg, rootKeys, root, keys, intermediate, new SigningCa(intermediate, keys.getPrivate(), alg));
    } catch (PkiException e) {
      throw new IllegalStateException(e);
    }
  }
}
