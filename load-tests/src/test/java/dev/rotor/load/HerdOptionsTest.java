package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HerdOptionsTest {

  @Test
  void defaults_are_ten_thousand_agents_a_two_minute_outage_released_at_once() throws Exception {
    HerdCommand.Options o = HerdCommand.Options.parse(new String[] {"--url", "https://ca.example:8443", "--token", "t"}, n -> null);
    assertThat(o.agents()).isEqualTo(10_000);
    assertThat(o.outage()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.spread()).isZero();
    assertThat(o.warm()).isFalse();
    assertThat(o.readyUrl()).isEqualTo(URI.create("http://ca.example:8080/readyz"));
    assertThat(o.serverPid()).isEmpty();
  }

  @Test
  void the_token_may_come_from_the_environment_and_flags_take_no_value() throws Exception {
    HerdCommand.Options o = HerdCommand.Options.parse(new String[] {"--url", "https://ca:8443", "--warm", "--spread", "15s",
        "--outage", "10m", "--server-pid", "42"}, n -> n.equals("ROTOR_TOKEN") ? "from-env" : null);
    assertThat(o.token()).isEqualTo("from-env");
    assertThat(o.warm()).isTrue();
    assertThat(o.spread()).isEqualTo(Duration.ofSeconds(15));
    assertThat(o.serverPid()).hasValue(42);
  }

  @Test
  void bad_options_are_refused_before_any_network() {
    assertThatThrownBy(() -> HerdCommand.Options.parse(new String[] {"--url", "https://ca:8443", "--token", "t",
        "--outage", "10s", "--spread", "20s"}, n -> null)).isInstanceOf(UsageException.class).hasMessageContaining("--spread");
    assertThatThrownBy(() -> HerdCommand.Options.parse(new String[] {"--url", "http://ca:8080", "--token", "t"}, n -> null))
        .isInstanceOf(UsageException.class).hasMessageContaining("https");
    assertThatThrownBy(() -> HerdCommand.Options.parse(new String[] {"--url", "https://ca:8443", "--token", "t", "--agents", "0"},
        n -> null)).isInstanceOf(UsageException.class);
    assertThatThrownBy(() -> HerdCommand.Options.parse(new String[] {"--url", "https://ca:8443"}, n -> null))
        .isInstanceOf(UsageException.class).hasMessageContaining("--token");
  }
}
