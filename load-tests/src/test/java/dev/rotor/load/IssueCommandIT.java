package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole {@code issue} command against {@link FakeIssuingServer} on a port of its own: trust on
 * first use and pinned bundles, both HTTP clients, both serial checks, and the failures that must
 * turn the exit status to 1.
 */
class IssueCommandIT {

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

  private int issue(String... args) throws Exception {
    IssueOptions options = IssueOptions.parse(args, name -> null);
    return new IssueCommand(options, new PrintStream(buffer, true, StandardCharsets.UTF_8),
        Duration.ofMillis(50), Duration.ofMillis(200)).run();
  }

  private String out() {
    return buffer.toString(StandardCharsets.UTF_8);
  }

  @Test
  void trustOnFirstUseJettyListing() throws Exception {
    try (FakeIssuingServer server = new FakeIssuingServer("secret", 0)) {
      int exit = issue("--url", server.url(), "--token", "secret", "--concurrency", "4",
          "--duration", "2s", "--warmup", "500ms", "--csrs", "50");

      assertThat(exit).as(out()).isZero();
      assertThat(out())
          .contains("trusted it on first use")
          .contains("CN=Fake Rotor CA")
          .contains("csrs: 50 generated")
          .contains("errors        0")
          .contains("check: listing")
          .contains("missing       0 of " + server.issued() + " received serials")
          .containsPattern("csr reuse     the pool of 50 ran out: \\d+ requests reused")
          .containsPattern("(?m)^RESULT certs_per_s=[0-9.]+ requests=" + server.issued()
              + " .* errors=0 missing=0 ceiling_per_s=[0-9.]+ ratio=[0-9.]+ client_cpu_s=");
      assertThat(server.issued()).isGreaterThan(50);
    }
  }

  @Test
  void pinnedBundleJdkClientLookup(@TempDir Path dir) throws Exception {
    try (FakeIssuingServer server = new FakeIssuingServer("secret", 0)) {
      Path bundle = Files.writeString(dir.resolve("ca.pem"), server.caPem());
      int exit = issue("--url", server.url(), "--token", "secret", "--concurrency", "3",
          "--duration", "1s", "--warmup", "0s", "--csrs", "500", "--cacert", bundle.toString(),
          "--client", "jdk", "--check", "lookup");

      assertThat(exit).as(out()).isZero();
      assertThat(out())
          .contains("trust: 1 anchors from " + bundle)
          .doesNotContain("first use")
          .contains("client jdk")
          .contains("check: lookup")
          .contains("missing       0 of " + server.issued());
    }
  }

  @Test
  void serialsTheServerLostAreReportedAndFailTheRun() throws Exception {
    try (FakeIssuingServer server = new FakeIssuingServer("secret", 5)) {
      int exit = issue("--url", server.url(), "--token", "secret", "--concurrency", "2",
          "--duration", "1s", "--warmup", "0s", "--csrs", "100");

      long lost = server.issued() - server.recordedCount();
      assertThat(lost).isPositive();
      assertThat(exit).isOne();
      assertThat(out()).contains("missing       " + lost + " of " + server.issued())
          .containsPattern("(?m)^RESULT .* errors=0 missing=" + lost + " ");
    }
  }

  @Test
  void aWrongTokenIsCountedByStatusWithTheBody() throws Exception {
    try (FakeIssuingServer server = new FakeIssuingServer("secret", 0)) {
      int exit = issue("--url", server.url(), "--token", "wrong", "--concurrency", "2",
          "--duration", "500ms", "--warmup", "0s", "--csrs", "10");

      assertThat(exit).isOne();
      assertThat(out()).containsPattern("errors        \\d+ \\(http 401: \\d+\\)")
          .contains("http 401: {\"title\":\"unauthorized\"}")
          .contains("certs/s       0.0");
      assertThat(server.issued()).isZero();
    }
  }

  @Test
  void aPinnedBundleThatDidNotIssueTheServerCertificateFailsEveryRequest(@TempDir Path dir)
      throws Exception {
    try (FakeIssuingServer server = new FakeIssuingServer("secret", 0);
        FakeIssuingServer other = new FakeIssuingServer("secret", 0)) {
      Path bundle = Files.writeString(dir.resolve("other.pem"), other.caPem());
      int exit = issue("--url", server.url(), "--token", "secret", "--concurrency", "2",
          "--duration", "500ms", "--warmup", "0s", "--csrs", "10", "--cacert", bundle.toString());

      assertThat(exit).isOne();
      assertThat(out()).containsPattern("transport SSLHandshakeException: \\d+");
      assertThat(server.issued()).isZero();
    }
  }
}
