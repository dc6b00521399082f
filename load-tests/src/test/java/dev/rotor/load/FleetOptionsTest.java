package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FleetOptionsTest {

  private static FleetOptions parse(String... args) throws UsageException {
    return FleetOptions.parse(args, Map.of("ROTOR_TOKEN", "from-env")::get);
  }

  @Test
  void defaultsAreTheIssuesFleet() throws UsageException {
    FleetOptions o = parse("--url", "https://127.0.0.1:8443/");
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(o.baseUrl()).isEqualTo("https://127.0.0.1:8443");
    soft.assertThat(o.token()).isEqualTo("from-env");
    soft.assertThat(o.caBundle()).isEmpty();
    soft.assertThat(o.identities()).isEqualTo(1_000_000);
    soft.assertThat(o.agents()).isEqualTo(10_000);
    soft.assertThat(o.ttl()).isEqualTo(Duration.ofMinutes(15));
    soft.assertThat(o.duration()).isEqualTo(Duration.ofSeconds(60));
    soft.assertThat(o.warmup()).isEqualTo(Duration.ofSeconds(30));
    soft.assertThat(o.ramp()).isEqualTo(Duration.ofSeconds(20));
    soft.assertThat(o.trustDomain()).isEqualTo("rotor.local");
    soft.assertThat(o.csrs()).isEmpty();
    soft.assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(30));
    soft.assertThat(o.idleTimeout()).isEqualTo(Duration.ofSeconds(25));
    soft.assertThat(o.enrolConcurrency()).isEqualTo(32);
    soft.assertThat(o.findMax()).isFalse();
    soft.assertThat(o.maxSteps()).isEqualTo(12);
    soft.assertThat(o.plan().requiredRate()).isCloseTo(2222.22,
        org.assertj.core.data.Offset.offset(0.01));
    soft.assertAll();
  }

  @Test
  void everyOption(@TempDir Path dir) throws Exception {
    Path bundle = Files.writeString(dir.resolve("ca.pem"), "x");
    FleetOptions o = parse("--url=https://ca.example:9443", "--token", "t", "--ca-bundle",
        bundle.toString(), "--identities", "400", "--agents", "20", "--ttl", "10s",
        "--duration", "5s", "--warmup", "0s", "--trust-domain", "example.org", "--csrs", "50",
        "--timeout", "2s", "--idle-timeout", "1m", "--enrol-concurrency", "4", "--find-max", "--max-steps", "3");
    assertThat(o).isEqualTo(new FleetOptions("https://ca.example:9443", "t",
        java.util.Optional.of(bundle), 400, 20, Duration.ofSeconds(10), Duration.ofSeconds(5),
        Duration.ZERO, Duration.ZERO, "example.org", java.util.OptionalInt.of(50), Duration.ofSeconds(2),
        Duration.ofMinutes(1), 4,
        true, 3));
  }

  @Test
  void theDefaultRampLeavesTheLastThirdOfTheWarmupAtTheFullRate() throws Exception {
    assertThat(parse("--url", "https://h", "--warmup", "9s").ramp()).isEqualTo(Duration.ofSeconds(6));
    assertThat(parse("--url", "https://h", "--warmup", "9s", "--ramp", "9s").ramp()).isEqualTo(Duration.ofSeconds(9));
    assertThat(parse("--url", "https://h", "--warmup", "0s").ramp()).isEqualTo(Duration.ZERO);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "fail/http-url | --url http://127.0.0.1:8080 | must start with https://",
      "fail/fewer-identities-than-agents | --url https://h --identities 5 --agents 10 | must be"
          + " at least --agents",
      "fail/ttl-not-whole-seconds | --url https://h --ttl 1500ms | whole seconds",
      "fail/zero-duration | --url https://h --duration 0s | --duration must be more than zero",
      "fail/unknown | --url https://h --concurrency 3 | unknown option --concurrency",
      "fail/bad-trust-domain | --url https://h --trust-domain Rotor | is not a trust domain",
      "fail/ramp-longer-than-warmup | --url https://h --warmup 10s --ramp 20s | must not be longer than --warmup",
      "fail/missing-url | --agents 3 | --url is required"})
  void badCommandLines(String name, String args, String message) {
    assertThatThrownBy(() -> parse(args.trim().split(" +")))
        .isInstanceOf(UsageException.class).hasMessageContaining(message);
  }

  @Test
  void theTokenIsRequired() {
    assertThatThrownBy(() -> FleetOptions.parse(new String[] {"--url", "https://h"}, n -> null))
        .hasMessage("--token is required");
  }
}
