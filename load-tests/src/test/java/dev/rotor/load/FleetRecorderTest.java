package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class FleetRecorderTest {

  private static final long S = 1_000_000_000L;
  private static final String ID = "spiffe://rotor.local/ns/fleet-1/sa/w0";

  private static byte[] ok(String id) {
    return ("{\"spiffeId\":\"" + id + "\",\"serial\":\"ab\",\"certificate\":\"x\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void throughputCountsAnswersInTheWindowLatencyCountsRenewalsScheduledInIt() {
    FleetRecorder r = new FleetRecorder(10 * S, 20 * S);
    r.sign(9 * S, 11 * S, 201, ok(ID), null, ID);          // scheduled before, answered in
    r.sign(19 * S, 19 * S + S / 100, 201, ok(ID), null, ID); // both in, 10 ms
    r.sign(19 * S, 25 * S, 201, ok(ID), null, ID);          // scheduled in, answered 6 s late
    r.sign(21 * S, 21 * S, 201, ok(ID), null, ID);          // after

    assertThat(r.signed()).isEqualTo(4);
    assertThat(r.signedInWindow()).isEqualTo(2);
    assertThat(r.scheduledInWindow()).isEqualTo(2);
    assertThat(r.latencyMicros().getTotalCount()).isEqualTo(2);
    assertThat(r.latencyMicros().getMaxValue()).isBetween(5_990_000L, 6_010_000L);
    assertThat(r.errors().count()).isZero();
  }

  @Test
  void errorsByKindIncludingACertificateForTheWrongIdentity() {
    FleetRecorder r = new FleetRecorder(0, 10 * S);
    r.sign(S, S, 403, "{\"status\":403}".getBytes(StandardCharsets.UTF_8), null, ID);
    r.sign(S, S, 0, new byte[0], new TimeoutException("Total timeout"), ID);
    r.sign(S, S, 201, ok("spiffe://rotor.local/ns/fleet-2/sa/w0"), null, ID);
    r.sign(S, S, 201, "{}".getBytes(StandardCharsets.UTF_8), null, ID);
    r.failure("renew", 401, "no".getBytes(StandardCharsets.UTF_8), null);
    r.agentRenewed(S, 2 * S);

    assertThat(r.signed()).isZero();
    assertThat(r.errorsInWindow()).isEqualTo(4);
    assertThat(r.errors().byKind()).containsExactly(
        java.util.Map.entry("renew http 401", 1L),
        java.util.Map.entry("sign 201 for another identity", 1L),
        java.util.Map.entry("sign 201 for no identity", 1L),
        java.util.Map.entry("sign http 403", 1L),
        java.util.Map.entry("sign transport TimeoutException", 1L));
    assertThat(r.errors().samples()).contains("sign http 403: {\"status\":403}",
        "sign transport TimeoutException: Total timeout");
    assertThat(r.agentRenewals()).isEqualTo(1);
  }

  @Test
  void slowStretchesAreTheRunsOfRenewalsOver200MsLongestFirst() {
    long ms = 1_000_000L;
    FleetRecorder r = new FleetRecorder(10 * S, 20 * S);
    assertThat(r.slowStretches()).isEmpty();
    r.sign(11 * S, 11 * S + 150 * ms, 201, ok(ID), null, ID);               // 150 ms: not slow
    r.sign(12 * S, 12 * S + 300 * ms, 201, ok(ID), null, ID);               // 12.0-12.1 s
    r.sign(15 * S, 15 * S + 900 * ms, 201, ok(ID), null, ID);               // 15.0-15.3 s
    r.sign(15 * S + 150 * ms, 15 * S + 700 * ms, 201, ok(ID), null, ID);
    r.sign(15 * S + 250 * ms, 15 * S + 500 * ms, 201, ok(ID), null, ID);
    r.sign(9 * S, 11 * S, 201, ok(ID), null, ID);                           // before the window

    assertThat(r.slowStretches()).containsExactly(
        new FleetRecorder.SlowStretch(5.0, 5.3, 3, 900),
        new FleetRecorder.SlowStretch(2.0, 2.1, 1, 300));
  }
}
