package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code herd} against the real server in-process, scaled down: 60 agents with 20 s certificates
 * held back for 8 s, a server admitting 2 issuances at a time with 4 waiting, so that the herd
 * is shed and retried; every agent must renew before its certificate expires.
 */
class HerdCommandIT {

  private static final String TOKEN = "rotor_herd-it-admin-token-0123456789abcdef";

  @Test
  void a_released_herd_is_shed_retried_and_renewed_before_expiry() throws Exception {
    String output = herd("--outage", "8s");
    assertPassed(output);
  }

  @Test
  void a_warm_herd_keeps_its_connections_open_through_the_outage() throws Exception {
    // 20 s certificates, a 14 s outage: the connections must outlive a 10 s keep-open round.
    String output = herd("--outage", "14s", "--warm");
    assertPassed(output);
    assertThat(output).contains("connections kept open (a GET over each every 10 s): 60 open at the release");
    // the gate admits 2 at a time and queues 4: a herd of 60 on open connections is shed with 429s
    Matcher shed = Pattern.compile("shed_429=(\\d+)").matcher(output);
    assertThat(shed.find()).as(output).isTrue();
    assertThat(Long.parseLong(shed.group(1))).isPositive();
  }

  private static String herd(String... extra) throws Exception {
    Path dataDir = Files.createTempDirectory("rotor-herd-it-");
    Map<String, Object> config = new HashMap<>();
    config.put("ROTOR_DATA_DIR", dataDir.resolve("data").toString());
    config.put("ROTOR_HTTPS_PORT", 0);
    config.put("ROTOR_HTTP_PORT", 0);
    config.put("ROTOR_BIND", "127.0.0.1");
    config.put("ROTOR_ADMIN_TOKEN", TOKEN);
    config.put("ROTOR_KUBERNETES", "off");
    config.put("ROTOR_ADMISSION_MAX_CONCURRENT", 2);
    config.put("ROTOR_ADMISSION_MAX_QUEUED", 4);
    config.put("profiles", Map.of("agent", Map.of("defaultTtl", "20s", "minTtl", "1s", "maxTtl", "20s")));
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int exit;
    try (RotorServer server = RotorServer.start(ServerConfig.fromMap(config))) {
      List<String> args = new ArrayList<>(List.of("herd", "--url", "https://127.0.0.1:" + server.httpsPort(), "--token", TOKEN,
          "--agents", "60", "--enrol-concurrency", "4", "--ready-url", "http://127.0.0.1:" + server.httpPort() + "/readyz",
          "--server-pid", Long.toString(ProcessHandle.current().pid())));
      args.addAll(List.of(extra));
      exit = RotorLoad.run(args.toArray(String[]::new), new PrintStream(buffer, true, StandardCharsets.UTF_8), System.err,
          name -> null);
    } finally {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    String output = buffer.toString(StandardCharsets.UTF_8);
    System.out.print(output);
    assertThat(exit).as(output).isZero();
    return output;
  }

  private static void assertPassed(String output) {
    Matcher m = Pattern.compile("RESULT herd agents=60 .*renewed=(\\d+) before_expiry=(\\d+) expired=0 .*ready_failures=0 .*"
        + "server_cpu_s=([0-9.]+) .*verdict=PASS").matcher(output);
    assertThat(m.find()).as(output).isTrue();
    assertThat(m.group(1)).isEqualTo("60");
    assertThat(m.group(2)).isEqualTo("60");
    assertThat(Double.parseDouble(m.group(3))).isPositive();
  }

  @Test
  void a_bad_command_line_exits_2() {
    assertThat(RotorLoad.run(new String[] {"herd", "--url", "http://x"}, System.out, new PrintStream(new ByteArrayOutputStream()),
        name -> null)).isEqualTo(2);
  }
}
