package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code renew-fleet} against the real Rotor server, started in-process once for the class with
 * the static policy {@code fleet-policy} writes for 20 agents, short workload and agent
 * lifetimes (so agents renew their own certificates and reconnect during a few seconds), and
 * Kubernetes off. Certificates are counted in the server's own database.
 */
class RenewFleetCommandIT {

  private static final String TOKEN = "rotor_fleet-it-admin-token-0123456789abcdef";
  private static final int POLICY_AGENTS = 20;

  private static Path dataDir;
  private static RotorServer server;
  private static String url;

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private long mark;

  @BeforeAll
  static void startServer() throws Exception {
    dataDir = Files.createTempDirectory("rotor-fleet-it-");
    Path policy = dataDir.resolve("policy.yaml");
    assertThat(RotorLoad.run(new String[] {"fleet-policy", "--agents", "" + POLICY_AGENTS,
        "--out", policy.toString()}, System.out, System.err, name -> null)).isZero();
    Map<String, Object> config = new HashMap<>();
    config.put("ROTOR_DATA_DIR", dataDir.resolve("data").toString());
    config.put("ROTOR_HTTPS_PORT", 0);
    config.put("ROTOR_HTTP_PORT", 0);
    config.put("ROTOR_BIND", "127.0.0.1");
    config.put("ROTOR_ADMIN_TOKEN", TOKEN);
    config.put("ROTOR_STATIC_POLICY", policy.toString());
    config.put("ROTOR_KUBERNETES", "off");
    // Workload certificates of 10 s (the fleet renews every 5 s); agent certificates of 4 s, so
    // every agent renews its own about every 2 s and reconnects with the new one.
    config.put("profiles", Map.of(
        "workload", Map.of("defaultTtl", "10s", "minTtl", "1s", "maxTtl", "15m"),
        "agent", Map.of("defaultTtl", "4s", "minTtl", "1s", "maxTtl", "4s")));
    server = RotorServer.start(ServerConfig.fromMap(config));
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

  private int renewFleet(String... args) {
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    String[] all = new String[args.length + 1];
    all[0] = "renew-fleet";
    System.arraycopy(args, 0, all, 1, args.length);
    return RotorLoad.run(all, out, out, name -> null);
  }

  private String out() {
    return buffer.toString(StandardCharsets.UTF_8);
  }

  private long issuedSinceMark(String profile) throws SQLException {
    return query("SELECT count(*) FROM certificates WHERE id > " + mark + " AND profile = '"
        + profile + "'");
  }

  private static long query(String sql) throws SQLException {
    try (Connection c = server.database().connection();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static double field(String text, String name) {
    Matcher m = Pattern.compile("(?m)^RESULT renew-fleet .*\\b" + name + "=([0-9.]+)")
        .matcher(text);
    assertThat(m.find()).as(name + " in\n" + text).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static long count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as(regex + " in\n" + text).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void aSmallFleetKeepsUpWithZeroErrors() throws Exception {
    Path bundle = Files.writeString(dataDir.resolve("bundle.pem"), server.ca().bundlePem());
    int exit = renewFleet("--url", url, "--token", TOKEN, "--ca-bundle", bundle.toString(),
        "--agents", "20", "--identities", "400", "--ttl", "10s", "--duration", "5s",
        "--warmup", "2s");

    String out = out();
    System.out.print(out);
    assertThat(out)
        .contains("fleet: 400 identities on 20 agents, ttl 10 s: renewal at half lifetime needs"
            + " 80.0 renewals/s")
        .contains("agents: 20 join tokens created and 20 agents attested")
        .containsPattern("agents: 20 connections opened in [0-9.]+ s .*: 20 full and 0 resumed"
            + " handshakes, 20 open now")
        .contains("errors        0");
    assertThat(field(out, "errors")).as(out).isZero();
    assertThat(field(out, "required_per_s")).isEqualTo(80.0);
    // 5 s at 80/s: 400 answers in the window, give or take the ones at its edges (a pause of
    // the shared machine at the end of the window moves a few out of it).
    assertThat(field(out, "achieved_per_s")).as(out).isBetween(80.0 * 0.95, 80.0 * 1.05);
    // An agent between its renewal and its new connection is briefly not connected.
    assertThat(field(out, "agents_connected")).as(out).isBetween(18.0, 20.0);
    // Agents renewed their own 4 s certificates and reconnected with the new ones.
    long agentRenewals = count(out, "(\\d+) agent certificates renewed during the run");
    assertThat(agentRenewals).as(out).isGreaterThanOrEqualTo(20);
    assertThat(field(out, "full_handshakes")).as(out).isPositive();
    assertThat(exit).as(out).isEqualTo(out.contains("verdict=PASS") ? 0 : 1);

    // The server issued exactly what the client counted, and nothing else.
    long received = count(out, "issued        (\\d+) workload certificates");
    assertThat(issuedSinceMark("workload")).isEqualTo(received);
    assertThat(issuedSinceMark("agent")).isEqualTo(20 + agentRenewals);
  }

  @Test
  void agentsOutsideThePolicyAreRefusedAndTheRunFails() throws Exception {
    // The server's policy covers fleet-0..19; fleet-20..24 may not have their workloads.
    int exit = renewFleet("--url", url, "--token", TOKEN, "--agents", "25",
        "--identities", "250", "--ttl", "10s", "--duration", "2s", "--warmup", "0s");

    String out = out();
    assertThat(exit).as(out).isOne();
    assertThat(out).contains("trusted it on first use")
        .containsPattern("errors        \\d+ \\(sign http 403: \\d+\\)")
        .contains("the static policy does not give node fleet-2")
        .contains("verdict       FAIL:")
        .containsPattern("(?m)^RESULT renew-fleet .* verdict=FAIL$");
    long received = count(out, "issued        (\\d+) workload certificates");
    assertThat(issuedSinceMark("workload")).isEqualTo(received);
    assertThat(received).isPositive();
  }

  @Test
  void findMaxReportsTheLargestStepThatKeptUp() {
    int exit = renewFleet("--url", url, "--token", TOKEN, "--agents", "10",
        "--identities", "200", "--ttl", "10s", "--duration", "2s", "--warmup", "1s",
        "--find-max", "--max-steps", "2");

    String out = out();
    // 200 identities of 10 s: 40/s; the next step is x1.25 after a pass, /1.25 after a first
    // failure; the summary names the largest step that passed.
    assertThat(out).contains("step 1: 200 identities on 10 agents");
    boolean firstPassed = out.contains("RESULT renew-fleet identities=200 agents=10 ttl_s=10"
        + " required_per_s=40.0") && Pattern.compile(
            "(?m)^RESULT renew-fleet identities=200 .*verdict=PASS$").matcher(out).find();
    assertThat(out).contains(firstPassed ? "step 2: 250 identities" : "step 2: 160 identities");
    Matcher passed = Pattern.compile("(?m)^RESULT renew-fleet identities=(\\d+) .*verdict=PASS$")
        .matcher(out);
    long largest = 0;
    while (passed.find()) {
      largest = Math.max(largest, Long.parseLong(passed.group(1)));
    }
    if (largest == 0) {
      assertThat(exit).as(out).isOne();
      assertThat(out).contains("RESULT renew-fleet-max identities=0 agents=10");
    } else {
      assertThat(exit).as(out).isZero();
      assertThat(out).contains("RESULT renew-fleet-max identities=" + largest + " agents=10 ");
    }
  }

  @Test
  void aWrongOperatorTokenStopsBeforeTheLoad() {
    int exit = renewFleet("--url", url, "--token", "wrong", "--agents", "2",
        "--identities", "4", "--ttl", "10s", "--duration", "1s", "--warmup", "0s");

    assertThat(exit).isOne();
    assertThat(out()).contains("POST /api/v1/join-tokens for fleet-")
        .contains("answered 401").doesNotContain("RESULT");
  }

}
