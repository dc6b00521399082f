package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code taint-fleet} against the real server in-process: every identity of the fleet is
 * re-issued by the new intermediate after the taint, and the server's database agrees. The size
 * is small by default; {@code -Drotor.taintFleet.identities=10000 -Drotor.taintFleet.agents=100}
 * runs the fleet.
 */
class TaintFleetCommandIT {

  private static final String TOKEN = "rotor_taint-it-admin-token-0123456789abcdef";

  @Test
  void everyIdentityIsReissuedByTheNewCaAfterATaint() throws Exception {
    int agents = Integer.getInteger("rotor.taintFleet.agents", 10);
    int identities = Integer.getInteger("rotor.taintFleet.identities", 200);
    Path dataDir = Files.createTempDirectory("rotor-taint-it-");
    try {
      Path policy = dataDir.resolve("policy.yaml");
      assertThat(RotorLoad.run(new String[] {"fleet-policy", "--agents", "" + agents, "--out", policy.toString()},
          System.out, System.err, name -> null)).isZero();
      Map<String, Object> config = new HashMap<>();
      config.put("ROTOR_DATA_DIR", dataDir.resolve("data").toString());
      config.put("ROTOR_HTTPS_PORT", 0);
      config.put("ROTOR_HTTP_PORT", 0);
      config.put("ROTOR_BIND", "127.0.0.1");
      config.put("ROTOR_ADMIN_TOKEN", TOKEN);
      config.put("ROTOR_STATIC_POLICY", policy.toString());
      config.put("ROTOR_KUBERNETES", "off");
      try (RotorServer server = RotorServer.start(ServerConfig.fromMap(config))) {
        Path bundle = Files.writeString(dataDir.resolve("bundle.pem"), server.ca().bundlePem());
        int taintedId = server.ca().issuerId();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        int exit = RotorLoad.run(new String[] {"taint-fleet", "--url", "https://127.0.0.1:" + server.httpsPort(), "--token", TOKEN,
            "--ca-bundle", bundle.toString(), "--agents", "" + agents, "--identities", "" + identities, "--ttl", "15m"},
            out, out, name -> null);
        String text = buffer.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertThat(exit).as(text).isZero();
        assertThat(text).containsPattern("RESULT taint-fleet identities=" + identities + " agents=" + agents
            + " ttl_s=900 taint_to_last_ms=[0-9]+ notified_last_ms=[0-9]+ errors=0 verdict=PASS");
        // the database agrees: each identity's newest certificate comes from another CA than the tainted one
        try (Connection c = server.database().connection();
             ResultSet rs = c.createStatement().executeQuery(
                 "SELECT count(*) FROM (SELECT DISTINCT ON (sans) issuer_id FROM certificates WHERE profile = 'workload'"
                     + " ORDER BY sans, id DESC) newest WHERE issuer_id = " + taintedId)) {
          rs.next();
          assertThat(rs.getLong(1)).isZero();
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
