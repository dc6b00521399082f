package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.pki.Pem;
import dev.rotor.pki.Pkcs11Token;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.Provider;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The CA key in a PKCS#11 token: SoftHSM2 from Debian's packages (installed by {@code ./rotor
 * test} when missing), reached through the JDK's SunPKCS11. The library reads its configuration
 * from {@code SOFTHSM2_CONF}, which the failsafe plugin points at {@code target/softhsm/}; a JVM
 * loads the library once, so every test here shares one token directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HsmIT {

  static final Path LIBRARY = Stream.of("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
      .map(Path::of).filter(Files::isReadable).findFirst().orElse(null);
  static final String PIN = "4711-rotor-user-pin";
  static long slot;
  static long otherSlot;

  @BeforeAll
  static void initTokens() throws Exception {
    assertThat(LIBRARY).as("SoftHSM2 is missing: apt-get install softhsm2 (./rotor test installs it)").isNotNull();
    String conf = System.getenv("SOFTHSM2_CONF");
    assertThat(conf).as("SOFTHSM2_CONF is set by the failsafe plugin").isNotBlank();
    Path dir = Path.of(conf).getParent();
    Path tokens = dir.resolve("tokens");
    if (Files.exists(tokens)) {
      try (Stream<Path> walk = Files.walk(tokens)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(tokens);
    Files.writeString(Path.of(conf), "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n",
        StandardCharsets.UTF_8);
    slot = initToken("rotor-ca");
    otherSlot = initToken("rotor-empty");
  }

  private static long initToken(String label) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "so-" + PIN)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    Matcher m = Pattern.compile("reassigned to slot (\\d+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static Map<String, Object> hsm(long slotId, String pin) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ROTOR_CA_PKCS11_LIBRARY", LIBRARY.toString());
    m.put("ROTOR_CA_PKCS11_SLOT", Long.toString(slotId));
    m.put("ROTOR_CA_PKCS11_PIN", pin);
    return m;
  }

  private static ServerConfig config(Path dataDir, Map<String, Object> extra) {
    Map<String, Object> m = new LinkedHashMap<>(Map.of("ROTOR_DATA_DIR", dataDir.toString(), "ROTOR_HTTPS_PORT", 0,
        "ROTOR_HTTP_PORT", 0, "ROTOR_BIND", "127.0.0.1", "ROTOR_ADMIN_TOKEN", TestServer.ADMIN_TOKEN, "ROTOR_KUBERNETES", "off"));
    m.putAll(extra);
    return ServerConfig.fromMap(m);
  }

  @Test
  @Order(1)
  void ca_keys_are_generated_in_the_token_and_never_kept_in_software() throws Exception {
    try (TestServer server = TestServer.start(hsm(slot, PIN))) {
      // both keys are token objects, not rows in the database, and no passphrase was ever needed
      assertThat(server.count("SELECT count(*) FROM certificate_authorities WHERE encrypted_key IS NULL AND key_ref LIKE 'pkcs11:rotor-%'"))
          .isEqualTo(2);
      assertThat(server.count("SELECT count(*) FROM certificate_authorities WHERE encrypted_key IS NOT NULL")).isZero();
      assertThat(Files.exists(server.dataDir().resolve("ca-passphrase"))).isFalse();
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'ca.created' AND details::jsonb ->> 'keyStorage' = 'pkcs11'"))
          .isEqualTo(2);
      // the key object has no encoding: it cannot be read out of the token
      assertThat(server.server().ca().issuing().privateKey().getEncoded()).isNull();
      assertThat(server.server().ca().issuing().privateKey()).isInstanceOf(Pkcs11Token.TokenKey.class);

      String operator = server.token("hsm-op", "operator");
      TestServer.Reply issued = server.issue(operator, Csrs.workload("hsm", "api"), "workload", 900);
      assertThat(issued.status()).isEqualTo(201);
      X509Certificate leaf = Pem.parseCertificates(issued.json().get("certificate").asText()).get(0);
      leaf.verify(server.server().ca().issuingCertificate().getPublicKey());

      // the CRL is signed in the token too
      var crl = server.client().send(java.net.http.HttpRequest.newBuilder(server.http("/crl")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      assertThat(crl.statusCode()).isEqualTo(200);
      X509CRL parsed = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new java.io.ByteArrayInputStream(crl.body()));
      parsed.verify(server.server().ca().issuingCertificate().getPublicKey());
      assertThat(server.get("/readyz", null).status()).isEqualTo(200);
      assertThat(server.get("/readyz", null).body()).contains("caKey");

      // a restart finds the keys in the token again
      X509Certificate issuerBefore = server.server().ca().issuingCertificate();
      server.stop();
      server.startAgain();
      assertThat(server.server().ca().issuingCertificate()).isEqualTo(issuerBefore);
      assertThat(server.issue(operator, Csrs.workload("hsm", "after-restart"), "workload", 900).status()).isEqualTo(201);
    }
  }

  @Test
  @Order(2)
  void a_token_that_drops_its_session_stops_issuance_and_readiness_until_it_is_back() throws Exception {
    try (TestServer server = TestServer.start(hsm(slot, PIN))) {
      String operator = server.token("hsm-op", "operator");
      assertThat(server.issue(operator, Csrs.workload("hsm", "before"), "workload", 900).status()).isEqualTo(201);
      long before = server.count("SELECT count(*) FROM certificates");

      logOutOfEveryRotorToken();

      TestServer.Reply refused = server.issue(operator, Csrs.workload("hsm", "during"), "workload", 900);
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.raw().headers().firstValue("Retry-After")).isPresent();
      assertThat(refused.json().get("type").asText()).endsWith("unavailable");
      assertThat(refused.json().get("detail").asText()).contains("PKCS#11");
      assertThat(server.count("SELECT count(*) FROM certificates")).as("nothing issued, no software fallback").isEqualTo(before);

      // readiness goes false at the next probe, then the server logs in again by itself
      assertThat(poll(Duration.ofSeconds(15), () -> server.get("/readyz", null).status() == 503)).isTrue();
      assertThat(poll(Duration.ofSeconds(30), () -> server.get("/readyz", null).status() == 200)).isTrue();
      assertThat(server.issue(operator, Csrs.workload("hsm", "after"), "workload", 900).status()).isEqualTo(201);
    }
  }

  @Test
  @Order(3)
  void the_server_refuses_to_start_without_its_token_or_with_a_software_key() throws Exception {
    Path dir = Files.createTempDirectory("rotor-hsm-it-");
    try (RotorServer first = RotorServer.start(config(dir, hsm(slot, PIN)))) {
      assertThat(first.ca().issuing().privateKey()).isInstanceOf(Pkcs11Token.TokenKey.class);
    }
    // keys in the token, token not configured: refuse, do not create a software CA
    assertThatThrownBy(() -> RotorServer.start(config(dir, Map.of())))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("PKCS#11 token").hasMessageContaining("ROTOR_CA_PKCS11_LIBRARY");
    // wrong PIN: refuse, and the message never carries a PIN
    assertThatThrownBy(() -> RotorServer.start(config(dir, hsm(slot, "0000-wrong"))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot log in")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("0000-wrong").doesNotContain(PIN));
    // a token that does not hold the key: refuse
    assertThatThrownBy(() -> RotorServer.start(config(dir, hsm(otherSlot, PIN))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("holds no private key labelled rotor-issuing-");
    // still exactly the one CA
    try (RotorServer again = RotorServer.start(config(dir, hsm(slot, PIN)));
         var c = again.database().connection(); var st = c.createStatement();
         var rs = st.executeQuery("SELECT count(*) FROM certificate_authorities")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(2);
    }

    // a CA created with software keys is not used once a token is configured (no mixing)
    Path softDir = Files.createTempDirectory("rotor-hsm-it-");
    try (RotorServer software = RotorServer.start(config(softDir, Map.of()))) {
      assertThat(software.ca().issuing().privateKey().getEncoded()).isNotNull();
    }
    assertThatThrownBy(() -> RotorServer.start(config(softDir, hsm(slot, PIN))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not mix a token with software CA keys");
    delete(dir);
    delete(softDir);
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @Order(4)
  void configuration_mistakes_are_named() {
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CA_PKCS11_PIN", "1")))
        .hasMessageContaining("need ROTOR_CA_PKCS11_LIBRARY");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CA_PKCS11_LIBRARY", LIBRARY.toString())))
        .hasMessageContaining("exactly one of ROTOR_CA_PKCS11_PIN and ROTOR_CA_PKCS11_PIN_FILE");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CA_PKCS11_LIBRARY", LIBRARY.toString(), "ROTOR_CA_PKCS11_PIN", "1",
        "ROTOR_CA_PKCS11_SLOT", "first")))
        .hasMessageContaining("ROTOR_CA_PKCS11_SLOT must be a slot id");
    assertThatThrownBy(() -> ServerConfig.fromMap(Map.of("ROTOR_CA_PKCS11_LIBRARY", LIBRARY.toString(), "ROTOR_CA_PKCS11_PIN", "1",
        "ROTOR_CA_CERT", "/tmp/ca.pem", "ROTOR_CA_KEY", "/tmp/ca.key")))
        .hasMessageContaining("cannot be combined with ROTOR_CA_CERT");
    assertThat(ServerConfig.fromMap(Map.of("ROTOR_CA_PKCS11_LIBRARY", LIBRARY.toString(), "ROTOR_CA_PKCS11_PIN", PIN)).toString())
        .doesNotContain(PIN);
  }

  /** What an HSM that dropped the session does to the server: every key handle stops working. */
  private static void logOutOfEveryRotorToken() throws Exception {
    for (Provider p : Security.getProviders()) {
      if (p.getName().startsWith("SunPKCS11-rotor-") && p instanceof AuthProvider auth) {
        auth.logout();
      }
    }
  }

  private interface Check {
    boolean test() throws Exception;
  }

  private static boolean poll(Duration max, Check check) throws Exception {
    Instant end = Instant.now().plus(max);
    while (Instant.now().isBefore(end)) {
      if (check.test()) {
        return true;
      }
      Thread.sleep(200);
    }
    return false;
  }
}
