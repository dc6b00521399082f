package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Date;
import java.util.Random;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DerTimeTest {

  @ParameterizedTest(name = "ok/{0}")
  @ValueSource(strings = {"2026-11-23T23:59:58Z", "1950-01-01T00:00:00Z", "2049-12-31T23:59:59Z", "2050-01-01T00:00:00Z", "2126-02-03T04:05:06Z"})
  void encodes_exactly_like_bouncycastle(String text) throws Exception {
    Instant t = Instant.parse(text);
    Time ours = DerTime.of(t);
    Time theirs = new Time(Date.from(t));
    assertThat(ours.getEncoded("DER")).isEqualTo(theirs.getEncoded("DER"));
    assertThat(ours.getDate().toInstant()).isEqualTo(t);
  }

  @Test
  void utc_time_through_2049_then_generalized_time() {
    assertThat(DerTime.of(Instant.parse("2049-12-31T23:59:59Z")).toASN1Primitive()).isInstanceOf(ASN1UTCTime.class);
    assertThat(DerTime.of(Instant.parse("2050-01-01T00:00:00Z")).toASN1Primitive()).isInstanceOf(ASN1GeneralizedTime.class);
  }

  @Test
  void random_instants_round_trip_and_drop_fractions() throws Exception {
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      Instant t = Instant.ofEpochSecond(random.nextLong(-631_152_000L, 4_102_444_800L), random.nextInt(1_000_000_000));
      Instant whole = Instant.ofEpochSecond(t.getEpochSecond());
      assertThat(DerTime.of(t).getEncoded("DER")).isEqualTo(new Time(Date.from(whole)).getEncoded("DER"));
    }
  }

  @Test
  void refuses_times_x509_cannot_hold() {
    assertThatThrownBy(() -> DerTime.of(Instant.parse("1949-12-31T23:59:59Z"))).isInstanceOf(IllegalArgumentException.class);
  }
}
