package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.pki.Pem;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fault injection (issue 10, "loses no data"): the server runs in its own JVM against a
 * PostgreSQL that outlives it, is made to die at chosen points of issuance and revocation
 * ({@link CrashPoint}, {@code Runtime.halt}) or is killed with SIGKILL, and is started again;
 * then the database is checked against what the clients received.
 */
class CrashConsistencyIT {

  private static final int CLIENTS = 8;
  /** Pre-records without a certificate that are not abandoned (yet). */
  static final String UNRESOLVED = "SELECT count(*) FROM precertificates p WHERE p.abandoned_at IS NULL"
      + " AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.serial = p.serial)";

  @TempDir
  static Path dir;
  static EmbeddedPostgres pg;
  static Map<String, String> env;

  @BeforeAll
  static void startPostgres() throws Exception {
    // fsync and synchronous_commit on, as the server's own embedded database runs.
    pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).setCleanDataDirectory(true)
        .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start();
    env = Map.of("ROTOR_DB_URL", pg.getJdbcUrl("postgres", "postgres"), "ROTOR_DB_USER", "postgres",
        "ROTOR_CA_PASSPHRASE", "crash-consistency-test", "ROTOR_PRECERT_GRACE", "2s");
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  /** A certificate a client received (201 with the PEM). */
  record Received(String serial, byte[] der) {}

  /**
   * {@code CLIENTS} clients issue concurrently until the server dies; returns what they received.
   * A request without an answer (the connection died) is not a receipt.
   */
  static List<Received> issueUntilTheServerDies(ExternalServer server, String namespace) throws Exception {
    List<Received> received = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger unanswered = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    for (int t = 0; t < CLIENTS; t++) {
      int thread = t;
      clients.submit(() -> {
        for (int i = 0; i < 10_000; i++) {
          try {
            TestServer.Reply r = server.issue(Csrs.workload(namespace, "c" + thread + "-" + i));
            if (r.status() == 201) {
              String pem = r.json().get("certificate").asText();
              received.add(new Received(r.json().get("serial").asText(), Pem.parseCertificates(pem).get(0).getEncoded()));
            }
          } catch (IOException died) {
            unanswered.incrementAndGet();
            return null;
          }
        }
        return null;
      });
    }
    clients.shutdown();
    assertThat(clients.awaitTermination(3, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
    assertThat(unanswered.get()).as("requests cut off by the crash").isPositive();
    return received;
  }

  static Connection db() throws SQLException {
    return pg.getPostgresDatabase().getConnection();
  }

  static long count(String sql, Object... args) throws SQLException {
    try (Connection c = db(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static byte[] storedDer(String serial) throws SQLException {
    try (Connection c = db(); PreparedStatement ps = c.prepareStatement("SELECT der FROM certificates WHERE serial = ?")) {
      ps.setString(1, serial);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getBytes(1) : null;
      }
    }
  }

  /**
   * What must hold after any crash, once the restarted server has resolved the pre-records:
   * every received certificate recorded byte for byte with its audit entry; no serial twice;
   * no pre-record left unresolved; every abandoned one audited; the audit chain intact.
   */
  static void assertConsistent(ExternalServer server, List<Received> received) throws Exception {
    for (Received r : received) {
      assertThat(storedDer(r.serial())).as("certificate %s a client received", r.serial()).isEqualTo(r.der());
      assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'certificate.issued' AND target = ?", r.serial()))
          .as("audit entry of %s", r.serial()).isEqualTo(1);
    }
    assertThat(count("SELECT count(*) FROM (SELECT serial FROM (SELECT serial FROM certificates UNION ALL"
        + " SELECT serial FROM precertificates WHERE abandoned_at IS NOT NULL) s GROUP BY serial HAVING count(*) > 1) twice"))
        .as("serials used twice").isZero();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(count("SELECT count(*) FROM precertificates WHERE abandoned_at IS NULL")).as("pre-records not swept or resolved")
            .isZero());
    assertThat(count("SELECT count(*) FROM precertificates p WHERE NOT EXISTS (SELECT 1 FROM audit_log a"
        + " WHERE a.action = 'certificate.abandoned' AND a.target = p.serial)")).as("abandoned without an audit entry").isZero();
    assertThat(server.verifyAudit().get("ok").asBoolean()).isTrue();
  }

  /** Revokes each received certificate through the restarted server; OCSP and the CRL then say revoked. */
  static void assertRevocable(ExternalServer server, List<Received> received) throws Exception {
    for (Received r : received) {
      TestServer.Reply reply = server.revoke(r.serial(), "superseded");
      assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    }
    X509CRLHolder crl = crl(server);
    for (Received r : received) {
      assertRevokedByOcsp(server, r.serial());
      assertThat(crl.getRevokedCertificate(new BigInteger(r.serial(), 16))).as("CRL entry of %s", r.serial()).isNotNull();
    }
  }

  static X509CRLHolder crl(ExternalServer server) throws Exception {
    HttpResponse<byte[]> r = server.plain().send(HttpRequest.newBuilder(server.http("/crl")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    X509CRLHolder crl = new X509CRLHolder(r.body());
    assertThat(crl.isSignatureValid(new JcaContentVerifierProviderBuilder().build(server.issuer().getPublicKey()))).isTrue();
    return crl;
  }

  static void assertRevokedByOcsp(ExternalServer server, String serial) throws Exception {
    X509Certificate issuer = server.issuer();
    CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
        new JcaX509CertificateHolder(issuer), new BigInteger(serial, 16));
    byte[] req = new OCSPReqBuilder().addRequest(id).build().getEncoded();
    HttpResponse<byte[]> r = server.plain().send(HttpRequest.newBuilder(server.http("/ocsp"))
        .header("Content-Type", "application/ocsp-request").POST(HttpRequest.BodyPublishers.ofByteArray(req)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(r.body()).getResponseObject();
    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey()))).isTrue();
    assertThat(basic.getResponses()[0].getCertStatus()).as("OCSP status of %s", serial).isInstanceOf(RevokedStatus.class);
  }

  @ParameterizedTest(name = "crash/{0}")
  @ValueSource(strings = {"after-prerecord", "after-sign", "after-final-commit"})
  void a_crash_during_issuance_under_load_loses_no_certificate_and_reuses_no_serial(String point) throws Exception {
    String namespace = "crash-" + point;
    List<Received> received;
    try (ExternalServer doomed = ExternalServer.start(dir.resolve(point), env, Optional.of(point + ":40"))) {
      received = issueUntilTheServerDies(doomed, namespace);
      assertThat(doomed.awaitExit(Duration.ofSeconds(60))).as(doomed.logTail()).isEqualTo(CrashPoint.EXIT_STATUS);
    }
    assertThat(received).as("certificates received before the crash").isNotEmpty();
    long recorded = count("SELECT count(*) FROM certificates WHERE sans[1] LIKE ?", "%/ns/" + namespace + "/%");
    if (point.equals("after-final-commit")) {
      // the certificate whose response the crash cut off was committed: recorded, never received
      assertThat(recorded).isGreaterThan(received.size());
    } else {
      // the issuance that died holds an unresolved pre-record (nothing restarted yet)
      assertThat(count(UNRESOLVED)).isPositive();
    }
    long abandonedBefore = count("SELECT count(*) FROM precertificates WHERE abandoned_at IS NOT NULL");
    try (ExternalServer restarted = ExternalServer.start(dir.resolve(point), env, Optional.empty())) {
      assertConsistent(restarted, received);
      System.out.printf("crash-matrix point=%s received=%d recorded=%d abandoned=%d%n", point, received.size(), recorded,
          count("SELECT count(*) FROM precertificates WHERE abandoned_at IS NOT NULL") - abandonedBefore);
      if (!point.equals("after-final-commit")) {
        assertThat(count("SELECT count(*) FROM precertificates WHERE abandoned_at IS NOT NULL")).isPositive();
      }
      assertRevocable(restarted, received);
      // issuance works again after the recovery
      assertThat(restarted.issue(Csrs.workload(namespace, "after-restart")).status()).isEqualTo(201);
    }
  }

  @Test
  void a_revocation_committed_before_a_crash_survives_it_although_its_answer_never_left() throws Exception {
    String serial;
    try (ExternalServer doomed = ExternalServer.start(dir.resolve("revocation-commit"), env,
        Optional.of("after-revocation-commit"))) {
      TestServer.Reply issued = doomed.issue(Csrs.workload("crash-revocation", "cut-off"));
      assertThat(issued.status()).isEqualTo(201);
      serial = issued.json().get("serial").asText();
      try {
        TestServer.Reply r = doomed.revoke(serial, "keyCompromise");
        throw new AssertionError("the revocation was answered: " + r.status());
      } catch (IOException expected) {
        // the process halted after the commit, before the answer
      }
      assertThat(doomed.awaitExit(Duration.ofSeconds(30))).isEqualTo(CrashPoint.EXIT_STATUS);
    }
    try (ExternalServer restarted = ExternalServer.start(dir.resolve("revocation-commit"), env, Optional.empty())) {
      assertRevokedByOcsp(restarted, serial);
      assertThat(crl(restarted).getRevokedCertificate(new BigInteger(serial, 16))).isNotNull();
      assertThat(restarted.revoke(serial, "keyCompromise").status()).isEqualTo(409);
      assertThat(restarted.verifyAudit().get("ok").asBoolean()).isTrue();
    }
  }

  @Test
  void a_revocation_answered_200_survives_a_kill_9_right_after() throws Exception {
    List<String> serials = new ArrayList<>();
    try (ExternalServer server = ExternalServer.start(dir.resolve("revocation-kill"), env, Optional.empty())) {
      for (int i = 0; i < 3; i++) {
        TestServer.Reply issued = server.issue(Csrs.workload("kill-revocation", "r" + i));
        assertThat(issued.status()).isEqualTo(201);
        serials.add(issued.json().get("serial").asText());
      }
      for (String serial : serials) {
        assertThat(server.revoke(serial, "superseded").status()).isEqualTo(200);
      }
      server.kill(); // SIGKILL as soon as the last 200 arrived
    }
    try (ExternalServer restarted = ExternalServer.start(dir.resolve("revocation-kill"), env, Optional.empty())) {
      X509CRLHolder crl = crl(restarted);
      for (String serial : serials) {
        assertRevokedByOcsp(restarted, serial);
        assertThat(crl.getRevokedCertificate(new BigInteger(serial, 16))).isNotNull();
      }
    }
  }

  @Test
  void the_crash_hook_is_off_without_the_system_property() throws Exception {
    // This JVM has no rotor.test.crashAt: passing every point does nothing.
    for (CrashPoint p : CrashPoint.values()) {
      p.reached();
    }
    assertThat(System.getProperty("rotor.test.crashAt")).isNull();
  }

}
