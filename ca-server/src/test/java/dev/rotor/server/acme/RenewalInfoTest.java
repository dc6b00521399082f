package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.server.store.CertificateRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenewalInfoTest {

  private static CertificateRecord record(Instant notBefore, Instant notAfter, Instant revokedAt) {
    return new CertificateRecord(1, "0a", 1, "acme", "acme", "acme:1", "", List.of("a.test"), notBefore, notAfter, new byte[0],
        revokedAt, revokedAt == null ? null : "keyCompromise", notBefore);
  }

  @Test
  void window_aroundTwoThirds_orOpenWhenRevokedOrRetired() {
    Instant nb = Instant.parse("2026-01-01T00:00:00Z");
    CertificateRecord r = record(nb, nb.plus(Duration.ofHours(24)), null);
    RenewalInfo.Window w = RenewalInfo.window(r, true, nb);
    assertThat(w.start()).isEqualTo(nb.plus(Duration.ofHours(16)).minus(Duration.ofMinutes(72)));
    assertThat(w.end()).isEqualTo(nb.plus(Duration.ofHours(16)).plus(Duration.ofMinutes(72)));

    Instant now = nb.plus(Duration.ofHours(1));
    RenewalInfo.Window revoked = RenewalInfo.window(record(nb, nb.plus(Duration.ofHours(24)), now), true, now);
    assertThat(revoked.end()).isEqualTo(now);
    assertThat(revoked.start()).isBefore(now);
    assertThat(RenewalInfo.window(r, false, now).end()).isEqualTo(now);
  }

  @Test
  void certId_parse() {
    RenewalInfo.CertId id = RenewalInfo.parse("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    assertThat(id.serialHex()).isEqualTo("87654321");
    assertThat(id.keyIdentifier()).hasSize(20);
    for (String bad : List.of("", "abc", "a.b.c", ".AIdlQyE", "aYhb.", "aYhb.gA", "aY+b.AIdlQyE")) {
      assertThatThrownBy(() -> RenewalInfo.parse(bad)).as(bad)
          .isInstanceOfSatisfying(AcmeException.class, e -> assertThat(e.error()).isEqualTo(AcmeError.MALFORMED));
    }
  }
}
