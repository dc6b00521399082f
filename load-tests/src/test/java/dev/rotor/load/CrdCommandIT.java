package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code rotor-load crd} end to end, small: a mock API server and a real server in this JVM. */
class CrdCommandIT {

  @Test
  void measuresApprovalToReady() throws Exception {
    CrdCommand.Result r = new CrdCommand(CrdCommand.Options.parse(new String[] {"--requests", "60", "--clients", "4"}),
        System.out).measure();
    assertThat(r.requests()).isEqualTo(60);
    assertThat(r.ready()).isEqualTo(60);
    assertThat(r.certificates()).isEqualTo(60);
    assertThat(r.p50Micros()).isPositive().isLessThanOrEqualTo(r.p99Micros());
    assertThat(r.p99Micros()).isLessThanOrEqualTo(r.maxMicros());
    assertThat(r.perSecond()).isPositive();
  }

  @Test
  void printsTheFiguresAndExitsZero() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = RotorLoad.run(new String[] {"crd", "--requests", "20"}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), k -> null);
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(text + err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(text).contains("crd: 20 requests, 20 Ready, 20 certificates recorded").contains("p50").contains("requests/s");
  }

  @Test
  void refusesBadOptions() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(RotorLoad.run(new String[] {"crd", "--requests", "0"}, System.out, e, k -> null)).isEqualTo(2);
    assertThat(RotorLoad.run(new String[] {"crd", "--bogus", "1"}, System.out, e, k -> null)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--requests must be at least 1").contains("unknown option --bogus");
  }
}
