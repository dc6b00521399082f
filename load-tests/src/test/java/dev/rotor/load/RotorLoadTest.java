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
  void renewFleetAndFleetPolicyHaveHelp() {
    assertThat(run("--help")).isZero();
    assertThat(out()).contains("renew-fleet").contains("fleet-policy");
    assertThat(run("renew-fleet", "--help")).isZero();
    assertThat(out()).contains("--identities N").contains("--agents N").contains("--find-max")
        .contains("ROTOR_STATIC_POLICY");
    assertThat(run("fleet-policy", "--help")).isZero();
    assertThat(out()).contains("--agents N").contains("--out FILE");
  }

  @Test
  void fleetPolicyWritesTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path file = dir.resolve("policy.yaml");
    assertThat(run("fleet-policy", "--agents", "2", "--trust-domain", "example.org", "--out",
        file.toString())).isZero();
    assertThat(java.nio.file.Files.readString(file))
        .contains("nodes:\n  fleet-0: [\"spiffe://example.org/ns/fleet-0/*\"]\n"
            + "  fleet-1: [\"spiffe://example.org/ns/fleet-1/*\"]\n");
    assertThat(out()).contains("ROTOR_STATIC_POLICY=" + file);
    assertThat(run("fleet-policy", "--out", file.toString())).isEqualTo(2);
    assertThat(err()).contains("--agents is required");
  }

  @Test
  void renewFleetBadOptionIsUsageError() {
    assertThat(run("renew-fleet", "--url", "https://h", "--token", "t", "--agents", "0"))
        .isEqualTo(2);
    assertThat(err()).contains("rotor-load renew-fleet: --agents: 0 is outside 1..1000000");
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
