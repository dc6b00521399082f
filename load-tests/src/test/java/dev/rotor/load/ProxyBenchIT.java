package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code rotor-load proxy} end to end, shortened: nginx and ab (installed when missing), the
 * Rotor proxy in its own JVM, certificates from a real in-process server. Asserts that every path
 * carried requests without errors and that revocation closed the open connection; the figures
 * themselves are the benchmark's business, not this test's.
 */
class ProxyBenchIT {

  private static final String TOKEN = "rotor_proxy-bench-it-token-0123456789abcdef";

  @Test
  void everyPathServesAndRevocationIsMeasured() throws Exception {
    Path data = Files.createTempDirectory("rotor-proxy-bench-it-");
    RotorServer server = RotorServer.start(ServerConfig.fromMap(Map.of("ROTOR_DATA_DIR", data.toString(), "ROTOR_HTTPS_PORT", 0,
        "ROTOR_HTTP_PORT", 0, "ROTOR_BIND", "127.0.0.1", "ROTOR_ADMIN_TOKEN", TOKEN, "ROTOR_KUBERNETES", "off")));
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
      ProxyBench.Options options = ProxyBench.Options.parse(new String[] {"--url", "https://127.0.0.1:" + server.httpsPort(),
          "--token", TOKEN, "--duration", "1s", "--warmup", "1s", "--concurrency", "4,32", "--http"}, k -> null);
      int exit = new ProxyBench(options, out).run();
      String text = buf.toString(StandardCharsets.UTF_8);
      System.out.println(text);
      assertThat(exit).isIn(0, 1);
      for (String path : new String[] {"direct", "nginx 1 hop", "rotor 1 hop", "rotor 2 hops"}) {
        assertThat(text).containsPattern("(?m)^" + path + "\\s+4\\s+[1-9][0-9]*\\s+\\d+\\s+\\d+\\s+0\\b");
        assertThat(text).containsPattern("(?m)^" + path + "\\s+32\\s+[1-9][0-9]*\\s+\\d+\\s+\\d+\\s+0\\b");
      }
      assertThat(text).containsPattern("revocation to refusal: open connection closed \\d+ ms");
      assertThat(text).containsPattern("(?m)^RESULT proxy c4: .* rss=\\d+MiB revocation=\\d+ms (PASS|FAIL)$");
    } finally {
      server.close();
      try (Stream<Path> files = Files.walk(data)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
