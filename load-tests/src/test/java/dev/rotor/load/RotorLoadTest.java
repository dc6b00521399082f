package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RotorLoadTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return RotorLoad.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), name -> null);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void noArgumentsIsUsageErrorWithUsage() {
    assertThat(run()).isEqualTo(2);
    assertThat(err()).contains("usage: rotor-load <command>");
  }

  @Test
  void helpPrintsUsageAndSucceeds() {
    assertThat(run("--help")).isZero();
    assertThat(out()).contains("issue").contains("ceiling");
  }

  @Test
  void issueHelpListsOptions() {
    assertThat(run("issue", "--help")).isZero();
    assertThat(out()).contains("--url URL").contains("--concurrency N").contains("--cacert FILE")
        .contains("Exit status");
  }

  @Test
  void unknownCommandIsUsageError() {
    assertThat(run("hammer")).isEqualTo(2);
    assertThat(err()).contains("unknown command 'hammer'");
  }

  @Test
  void badOptionIsUsageErrorWithReason() {
    assertThat(run("issue", "--url", "https://127.0.0.1:8443", "--token", "t", "--duration",
        "forever")).isEqualTo(2);
    assertThat(err()).contains("rotor-load issue: --duration: 'forever' is not a duration")
        .contains("--help");
    assertThat(out()).isEmpty();
  }

  @Test
  void ceilingTakesNoOptions() {
    assertThat(run("ceiling", "--threads", "2")).isEqualTo(2);
  }

  @Test
  void describeUnwrapsToTheCause() {
    Exception e = new java.util.concurrent.ExecutionException(
        new java.net.ConnectException("Connection refused"));
    assertThat(RotorLoad.describe(e)).isEqualTo("ConnectException: Connection refused");
  }
}
