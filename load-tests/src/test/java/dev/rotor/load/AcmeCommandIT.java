package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Comparator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code rotor-load acme} for a few seconds against the real server (in-process, embedded
 * PostgreSQL): every order it counts as complete is a certificate the server recorded, and a run
 * without errors exits 0.
 */
class AcmeCommandIT {

  @Test
  void completeFlowsAgainstTheRealServer() throws Exception {
    int responderPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      responderPort = s.getLocalPort();
    }
    Path dataDir = Files.createTempDirectory("rotor-load-acme-it-");
    RotorServer server = RotorServer.start(ServerConfig.fromMap(Map.of(
        "ROTOR_DATA_DIR", dataDir.toString(),
        "ROTOR_HTTPS_PORT", 0,
        "ROTOR_HTTP_PORT", 0,
        "ROTOR_BIND", "127.0.0.1",
        "ROTOR_KUBERNETES", "off",
        "ROTOR_PERMITTED_DNS", "bench.test,localhost",
        "ROTOR_ACME_STATIC_HOSTS", "*.bench.test=127.0.0.1",
        "ROTOR_ACME_HTTP01_PORT", responderPort,
        "ROTOR_ACME_ORDERS_PER_HOUR", 100000)));
    try {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      ByteArrayOutputStream errBuffer = new ByteArrayOutputStream();
      int exit = RotorLoad.run(new String[] {"acme", "--url", "https://127.0.0.1:" + server.httpsPort(), "--accounts", "3",
          "--concurrency", "4", "--duration", "3s", "--warmup", "1s", "--domain-suffix", "bench.test",
          "--responder-port", Integer.toString(responderPort)},
          new PrintStream(buffer, true, StandardCharsets.UTF_8), new PrintStream(errBuffer, true, StandardCharsets.UTF_8), n -> null);
      String out = buffer.toString(StandardCharsets.UTF_8);
      assertThat(exit).as(out + errBuffer.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(out).contains("errors: 0").contains("order latency: p50");
      Matcher m = Pattern.compile("complete orders: (\\d+) in").matcher(out);
      assertThat(m.find()).as(out).isTrue();
      long complete = Long.parseLong(m.group(1));
      assertThat(complete).isPositive();
      try (Connection c = server.database().connection();
           ResultSet rs = c.createStatement().executeQuery(
               "SELECT count(*) FROM acme_orders o JOIN certificates x ON x.serial = o.certificate_serial WHERE o.status = 'valid'")) {
        rs.next();
        assertThat(rs.getLong(1)).isGreaterThanOrEqualTo(complete);
      }
    } finally {
      server.close();
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
