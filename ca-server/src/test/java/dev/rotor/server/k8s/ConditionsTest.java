package dev.rotor.server.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  private static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T2 = Instant.parse("2026-01-01T00:05:00Z");

  @Test
  void keepsOtherConditionsAndTheTransitionTimeWhileTheStatusHolds() {
    List<Map<String, Object>> approved = List.of(Map.of("type", "Approved", "status", "True", "reason", "cert-manager.io"));
    List<Map<String, Object>> pending = Conditions.with(approved, "Ready", false, "Pending", "waiting", T1, null);
    assertThat(pending).hasSize(2).first().isEqualTo(approved.get(0));
    assertThat(pending.get(1)).containsEntry("status", "False").containsEntry("lastTransitionTime", "2026-01-01T00:00:00Z");

    List<Map<String, Object>> failed = Conditions.with(pending, "Ready", false, "Failed", "bad", T2, null);
    assertThat(failed.get(1)).containsEntry("reason", "Failed").containsEntry("lastTransitionTime", "2026-01-01T00:00:00Z");

    List<Map<String, Object>> ready = Conditions.with(pending, "Ready", true, "Issued", "ok", T2, 3L);
    assertThat(ready.get(1)).containsEntry("status", "True").containsEntry("lastTransitionTime", "2026-01-01T00:05:00Z")
        .containsEntry("observedGeneration", 3L);
  }
}
