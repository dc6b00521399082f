package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CaBuilder;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.Pem;
import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole {@code issue} command against the real Rotor server, started in-process once for the
 * class (embedded PostgreSQL in a temporary data directory, HTTPS on a free port): trust on first
 * use and pinned bundles, both HTTP clients, both serial checks, and the failures that must turn
 * the exit status to 1. Certificates are counted in the server's own database.
 */
class IssueCommandIT {

  private static final String TOKEN = "rotor_load-it-admin-token-0123456789abcdef";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path dataDir;
  private static RotorServer server;
  private static String url;

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  /** The newest certificate row before the test: rows above it are the test's. */
  private long mark;

  @BeforeAll
  static void startServer() throws Exception {
    dataDir = Files.createTempDirectory("rotor-load-it-");
    server = RotorServer.start(ServerConfig.fromMap(Map.of(
        "ROTOR_DATA_DIR", dataDir.toString(),
        "ROTOR_HTTPS_PORT", 0,
        "ROTOR_HTTP_PORT", 0,
        "ROTOR_BIND", "127.0.0.1",
        "ROTOR_ADMIN_TOKEN", TOKEN)));
    url = "https://127.0.0.1:" + server.httpsPort();
  }

  @AfterAll
  static void stopServer() throws IOException {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      if (dataDir != null) {
        try (Stream<Path> files = Files.walk(dataDir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @BeforeEach
  void markCertificates() throws SQLException {
    mark = query("SELECT coalesce(max(id), 0) FROM certificates");
  }

  private int issue(String... args) throws Exception {
    return issue(new PrintStream(buffer, true, StandardCharsets.UTF_8), args);
  }

  private int issue(PrintStream out, String... args) throws Exception {
    IssueOptions options = IssueOptions.parse(args, name -> null);
    return new IssueCommand(options, out, Duration.ofMillis(50), Duration.ofMillis(200)).run();
  }

  private String out() {
    return buffer.toString(StandardCharsets.UTF_8);
  }

  /** Workload certificates the server recorded since {@link #mark}. */
  private long issuedSinceMark() throws SQLException {
    return query("SELECT count(*) FROM certificates WHERE id > " + mark
        + " AND profile = 'workload'");
  }

  private static long query(String sql) throws SQLException {
    try (Connection c = server.database().connection();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int update(String sql, String... params) throws SQLException {
    try (Connection c = server.database().connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      return ps.executeUpdate();
    }
  }

  @Test
  void trustOnFirstUseJettyListing() throws Exception {
    int exit = issue("--url", url, "--token", TOKEN, "--concurrency", "4",
        "--duration", "2s", "--warmup", "500ms", "--csrs", "50");

    long issued = issuedSinceMark();
    assertThat(exit).as(out()).isZero();
    assertThat(out())
        .contains("trusted it on first use")
        .contains("csrs: 50 generated")
        .contains("errors        0")
        .contains("check: listing")
        .contains("missing       0 of " + issued + " received serials")
        .containsPattern("csr reuse     the pool of 50 ran out: \\d+ requests reused")
        .containsPattern("(?m)^RESULT certs_per_s=[0-9.]+ requests=" + issued
            + " .* errors=0 missing=0 ceiling_per_s=[0-9.]+ ratio=[0-9.]+ client_cpu_s=");
    // The anchors fetched on first use are the server's own CA bundle.
    for (X509Certificate c : Pem.parseCertificates(server.ca().bundlePem())) {
      assertThat(out()).contains("SHA-256 " + TrustAnchors.fingerprint(c) + "  "
          + c.getSubjectX500Principal().getName());
    }
    assertThat(issued).isGreaterThan(50);
  }

  @Test
  void pinnedBundleJdkClientLookup(@TempDir Path dir) throws Exception {
    String bundlePem = server.ca().bundlePem();
    Path bundle = Files.writeString(dir.resolve("ca.pem"), bundlePem);
    int exit = issue("--url", url, "--token", TOKEN, "--concurrency", "3",
        "--duration", "1s", "--warmup", "0s", "--csrs", "500", "--cacert", bundle.toString(),
        "--client", "jdk", "--check", "lookup");

    long issued = issuedSinceMark();
    assertThat(exit).as(out()).isZero();
    assertThat(issued).isPositive();
    assertThat(out())
        .contains("trust: " + Pem.parseCertificates(bundlePem).size() + " anchors from " + bundle)
        .doesNotContain("first use")
        .contains("client jdk")
        .contains("check: lookup")
        .contains("missing       0 of " + issued + " received serials")
        .containsPattern("(?m)^RESULT .* requests=" + issued + " .* errors=0 missing=0 ");
  }

  /**
   * The server loses rows for real: once the load is over and before the check runs (the command
   * prints "of ceiling" in between, on its own thread), every fifth certificate row the run
   * created is deleted from the server's database.
   */
  @Test
  void serialsTheServerLostAreReportedAndFailTheRun() throws Exception {
    long[] receivedAndLost = {-1, -1};
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8) {
      @Override
      public PrintStream printf(Locale l, String format, Object... args) {
        super.printf(l, format, args);
        if (format.startsWith("of ceiling") && receivedAndLost[1] < 0) {
          try {
            receivedAndLost[0] = issuedSinceMark();
            receivedAndLost[1] = update("DELETE FROM certificates WHERE id > " + mark
                + " AND profile = 'workload' AND id % 5 = 0");
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        }
        return this;
      }
    };
    int exit = issue(out, "--url", url, "--token", TOKEN, "--concurrency", "2",
        "--duration", "1s", "--warmup", "0s", "--csrs", "100");

    long received = receivedAndLost[0];
    long lost = receivedAndLost[1];
    assertThat(lost).as(out()).isPositive();
    assertThat(issuedSinceMark()).isEqualTo(received - lost);
    assertThat(exit).as(out()).isOne();
    assertThat(out()).contains("errors        0")
        .contains("check: listing")
        .contains("missing       " + lost + " of " + received + " received serials")
        .containsPattern("(?m)^RESULT .* requests=" + received + " .* errors=0 missing=" + lost
            + " ");
  }

  /**
   * The check on its own: certificates issued through the real API, some of their rows deleted,
   * and both ways of checking must name exactly those as missing.
   */
  @Test
  void bothChecksFindTheRowsDeletedFromTheServer() throws Exception {
    TrustAnchors trust = TrustAnchors.fromPem(
        server.ca().bundlePem().getBytes(StandardCharsets.US_ASCII));
    CsrPool pool = CsrPool.generate(12, 2, CryptoProviders.signing(), "rotor.local", "workload",
        900);
    java.net.http.HttpClient jdk = java.net.http.HttpClient.newBuilder()
        .sslContext(trust.sslContext()).version(java.net.http.HttpClient.Version.HTTP_1_1)
        .build();
    List<String> serials = new ArrayList<>();
    for (int i = 0; i < pool.size(); i++) {
      HttpResponse<String> r = jdk.send(HttpRequest.newBuilder(
              URI.create(url + "/api/v1/certificates"))
          .header("Authorization", "Bearer " + TOKEN)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(pool.next())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      JsonNode body = JSON.readTree(r.body());
      serials.add(body.get("serial").asText());
    }
    jdk.close();
    int deleted = 0;
    for (String serial : serials.subList(0, 4)) {
      deleted += update("DELETE FROM certificates WHERE serial = ?", serial);
    }
    assertThat(deleted).isEqualTo(4);
    // The server's spelling is lower-case hex; the check must not mistake another for a loss.
    List<String> received = new ArrayList<>(serials);
    received.set(11, "0" + serials.get(11).toUpperCase(Locale.ROOT));

    HttpClient client = Http.newClient(trust.jettyTls(), "it-check");
    Http.start(client);
    try {
      SerialCheck check = new SerialCheck(client, url, TOKEN);
      SerialCheck.Verdict listing = check.byListing(received);
      assertThat(listing.missing()).isEqualTo(4);
      assertThat(listing.unverified()).isZero();

      SerialCheck.Verdict lookup = check.byLookup(serials);
      assertThat(lookup.missing()).isEqualTo(4);
      assertThat(lookup.unverified()).as(lookup.firstProblem()).isZero();
      assertThat(lookup.recorded()).isEqualTo(8);

      SerialCheck.Verdict wrongToken = new SerialCheck(client, url, "wrong").byLookup(serials);
      assertThat(wrongToken.unverified()).isEqualTo(12);
      assertThat(wrongToken.firstProblem()).contains("answered 401");
    } finally {
      client.stop();
    }
  }

  @Test
  void aWrongTokenIsCountedByStatusWithTheBody() throws Exception {
    int exit = issue("--url", url, "--token", "wrong", "--concurrency", "2",
        "--duration", "500ms", "--warmup", "0s", "--csrs", "10");

    assertThat(exit).isOne();
    assertThat(out()).containsPattern("errors        \\d+ \\(http 401: \\d+\\)")
        .containsPattern("http 401: \\{.*\"status\":401,\"detail\":\"invalid token\"\\}")
        .contains("certs/s       0.0");
    assertThat(issuedSinceMark()).isZero();
  }

  @Test
  void aPinnedBundleThatDidNotIssueTheServerCertificateFailsEveryRequest(@TempDir Path dir)
      throws Exception {
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    Instant now = Instant.now();
    X509Certificate otherCa = new CaBuilder(CryptoProviders.signing()).root(keys,
        KeyAlgorithm.EC_P256, new X500Name("CN=Some Other CA"), now.minusSeconds(60),
        now.plus(Duration.ofDays(1)));
    Path bundle = Files.writeString(dir.resolve("other.pem"),
        Pem.certificate(otherCa.getEncoded()));
    int exit = issue("--url", url, "--token", TOKEN, "--concurrency", "2",
        "--duration", "500ms", "--warmup", "0s", "--csrs", "10", "--cacert", bundle.toString());

    assertThat(exit).isOne();
    assertThat(out()).contains("trust: 1 anchors from " + bundle)
        .contains("CN=Some Other CA")
        .containsPattern("transport SSLHandshakeException: \\d+");
    assertThat(issuedSinceMark()).isZero();
  }
}
