package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.CaBuilder;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.NameConstraintsSpec;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import dev.rotor.pki.SigningCa;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the CA and the database come from: generated with other algorithms, imported from PEM, an external PostgreSQL. */
class CaSourcesIT {

  static X509Certificate issueAndValidate(TestServer server, X509Certificate anchor) throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload("src", "one"), "workload", 900);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    List<X509Certificate> chain = Pem.parseCertificates(r.json().get("chain").asText());
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), params);
    return chain.get(0);
  }

  @Test
  void generates_a_p384_ca_when_asked() throws Exception {
    try (TestServer server = TestServer.start(Map.of("ROTOR_CA_KEY_ALGORITHM", "ec-p384"))) {
      X509Certificate issuer = server.server().ca().issuingCertificate();
      assertThat(((ECPublicKey) issuer.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(384);
      X509Certificate leaf = issueAndValidate(server, server.bundle().get(0));
      assertThat(leaf.getSigAlgName()).isEqualTo("SHA384withECDSA");
    }
  }

  @Test
  void generates_an_rsa_3072_ca_when_asked() throws Exception {
    try (TestServer server = TestServer.start(Map.of("ROTOR_CA_KEY_ALGORITHM", "rsa-3072"))) {
      assertThat(((RSAPublicKey) server.server().ca().issuingCertificate().getPublicKey()).getModulus().bitLength()).isEqualTo(3072);
      X509Certificate leaf = issueAndValidate(server, server.bundle().get(0));
      assertThat(leaf.getSigAlgName()).isEqualTo("SHA256withRSA");
    }
  }

  @Test
  void imports_an_existing_ca_from_pem_files(@TempDir Path dir) throws Exception {
    CaBuilder builder = new CaBuilder(CryptoProviders.signing());
    Instant now = Instant.now();
    KeyPair rootKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate root = builder.root(rootKeys, KeyAlgorithm.EC_P256, new X500Name("CN=Corp Root,O=Corp"),
        now.minusSeconds(60), now.plus(Duration.ofDays(365)));
    KeyPair issuingKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate issuing = builder.intermediate(issuingKeys, KeyAlgorithm.EC_P256, new X500Name("CN=Corp Issuing,O=Corp"),
        new SigningCa(root, rootKeys.getPrivate(), KeyAlgorithm.EC_P256), now.minusSeconds(60), now.plus(Duration.ofDays(90)),
        new NameConstraintsSpec("rotor.local", List.of("svc.cluster.local", "localhost")));
    Path cert = dir.resolve("ca.pem");
    Files.writeString(cert, Pem.certificate(issuing.getEncoded()) + Pem.certificate(root.getEncoded()));
    Path key = dir.resolve("ca-key.pem");
    Files.writeString(key, PrivateKeys.encrypt(issuingKeys.getPrivate(), "import-pass".toCharArray()));

    try (TestServer server = TestServer.start(Map.of("ROTOR_CA_CERT", cert.toString(), "ROTOR_CA_KEY", key.toString(),
        "ROTOR_CA_PASSPHRASE", "import-pass"))) {
      assertThat(server.server().ca().issuingCertificate()).isEqualTo(issuing);
      assertThat(server.bundle()).containsExactly(root);
      issueAndValidate(server, root);
      // the imported key is not copied into the database
      assertThat(server.count("SELECT count(*) FROM certificate_authorities WHERE encrypted_key IS NOT NULL")).isZero();
      // and a restart with the same files keeps the same CA row
      server.stop();
      server.startAgain();
      assertThat(server.count("SELECT count(*) FROM certificate_authorities WHERE kind = 'intermediate'")).isEqualTo(1);
      issueAndValidate(server, root);
    }
  }

  @Test
  void a_ca_made_seconds_ago_issues_leaves_within_its_validity(@TempDir Path dir) throws Exception {
    // notBefore = now - 30 s would start before this CA does; the lint gate refuses that, so the
    // door starts the leaf at the CA's notBefore instead (the server's own certificate included).
    CaBuilder builder = new CaBuilder(CryptoProviders.signing());
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    KeyPair rootKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate root = builder.root(rootKeys, KeyAlgorithm.EC_P256, new X500Name("CN=Fresh Root,O=Corp"),
        now, now.plus(Duration.ofDays(365)));
    KeyPair issuingKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate issuing = builder.intermediate(issuingKeys, KeyAlgorithm.EC_P256, new X500Name("CN=Fresh Issuing,O=Corp"),
        new SigningCa(root, rootKeys.getPrivate(), KeyAlgorithm.EC_P256), now, now.plus(Duration.ofDays(90)),
        new NameConstraintsSpec("rotor.local", List.of("svc.cluster.local", "localhost")));
    Path cert = dir.resolve("ca.pem");
    Files.writeString(cert, Pem.certificate(issuing.getEncoded()) + Pem.certificate(root.getEncoded()));
    Path key = dir.resolve("ca-key.pem");
    Files.writeString(key, PrivateKeys.encrypt(issuingKeys.getPrivate(), "fresh-pass".toCharArray()));

    try (TestServer server = TestServer.start(Map.of("ROTOR_CA_CERT", cert.toString(), "ROTOR_CA_KEY", key.toString(),
        "ROTOR_CA_PASSPHRASE", "fresh-pass"))) {
      X509Certificate leaf = issueAndValidate(server, root);
      assertThat(leaf.getNotBefore().toInstant()).isAfterOrEqualTo(now);
      assertThat(server.count("SELECT count(*) FROM certificates WHERE not_before < '" + now + "'")).isZero();
    }
  }

  @Test
  void refuses_an_imported_key_that_does_not_match(@TempDir Path dir) throws Exception {
    CaBuilder builder = new CaBuilder(CryptoProviders.signing());
    KeyPair rootKeys = KeyAlgorithm.EC_P256.generate();
    X509Certificate root = builder.root(rootKeys, KeyAlgorithm.EC_P256, new X500Name("CN=Corp Root"),
        Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofDays(30)));
    Path cert = dir.resolve("ca.pem");
    Files.writeString(cert, Pem.certificate(root.getEncoded()));
    Path key = dir.resolve("other-key.pem");
    Files.writeString(key, Pem.encode("PRIVATE KEY", KeyAlgorithm.EC_P256.generate().getPrivate().getEncoded()));
    Path data = dir.resolve("data");
    ServerConfig config = ServerConfig.fromMap(Map.of("ROTOR_DATA_DIR", data.toString(), "ROTOR_HTTPS_PORT", 0,
        "ROTOR_HTTP_PORT", 0, "ROTOR_BIND", "127.0.0.1", "ROTOR_CA_CERT", cert.toString(), "ROTOR_CA_KEY", key.toString()));
    assertThatThrownBy(() -> RotorServer.start(config)).hasMessageContaining("does not match");
  }

  @Test
  void uses_an_external_postgresql_when_given_a_url(@TempDir Path dir) throws Exception {
    try (EmbeddedPostgres external = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("external-pg")).start()) {
      String url = "jdbc:postgresql://127.0.0.1:" + external.getPort() + "/postgres";
      try (TestServer server = TestServer.start(Map.of("ROTOR_DB_URL", url, "ROTOR_DB_USER", "postgres",
          "ROTOR_CA_PASSPHRASE", "shared-by-replicas"))) {
        assertThat(Files.exists(server.dataDir().resolve("postgres"))).as("no embedded database").isFalse();
        issueAndValidate(server, server.bundle().get(0));
        try (var c = external.getPostgresDatabase().getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM certificates WHERE profile = 'workload'")) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(1);
        }
      }
    }
  }
}
