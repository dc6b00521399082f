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

class IssueOptionsTest {

  private static IssueOptions parse(String... args) throws UsageException {
    return IssueOptions.parse(args, name -> null);
  }

  @Test
  void defaults() throws UsageException {
    IssueOptions o = parse("--url", "https://127.0.0.1:8443/", "--token", "t");
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(o.baseUrl()).isEqualTo("https://127.0.0.1:8443");
    soft.assertThat(o.token()).isEqualTo("t");
    soft.assertThat(o.concurrency()).isEqualTo(64);
    soft.assertThat(o.duration()).isEqualTo(Duration.ofSeconds(60));
    soft.assertThat(o.warmup()).isEqualTo(Duration.ofSeconds(5));
    soft.assertThat(o.caCert()).isEmpty();
    soft.assertThat(o.trustDomain()).isEqualTo("rotor.local");
    soft.assertThat(o.profile()).isEqualTo("workload");
    soft.assertThat(o.ttlSeconds()).isEqualTo(900);
    soft.assertThat(o.csrs()).isEmpty();
    soft.assertThat(o.client()).isEqualTo(IssueOptions.Client.JETTY);
    soft.assertThat(o.check()).isEqualTo(IssueOptions.Check.LIST);
    soft.assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(30));
    soft.assertThat(o.isHttps()).isTrue();
    soft.assertAll();
  }

  @Test
  void everyOption(@TempDir Path dir) throws Exception {
    Path bundle = Files.writeString(dir.resolve("bundle.pem"), "x");
    IssueOptions o = parse("--url=http://localhost:8080", "--token", "abc", "--concurrency", "8",
        "--duration", "2m", "--warmup=0s", "--cacert", bundle.toString(),
        "--trust-domain", "example.org", "--profile", "agent", "--ttl", "600", "--csrs", "5000",
        "--client", "JDK", "--check", "lookup", "--timeout", "5s");
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(o.baseUrl()).isEqualTo("http://localhost:8080");
    soft.assertThat(o.isHttps()).isFalse();
    soft.assertThat(o.concurrency()).isEqualTo(8);
    soft.assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
    soft.assertThat(o.warmup()).isZero();
    soft.assertThat(o.caCert()).contains(bundle);
    soft.assertThat(o.trustDomain()).isEqualTo("example.org");
    soft.assertThat(o.profile()).isEqualTo("agent");
    soft.assertThat(o.ttlSeconds()).isEqualTo(600);
    soft.assertThat(o.csrs()).hasValue(5000);
    soft.assertThat(o.client()).isEqualTo(IssueOptions.Client.JDK);
    soft.assertThat(o.check()).isEqualTo(IssueOptions.Check.LOOKUP);
    soft.assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(5));
    soft.assertAll();
  }

  @Test
  void tokenFromEnvironment() throws UsageException {
    IssueOptions o = IssueOptions.parse(new String[] {"--url", "https://h"},
        Map.of("ROTOR_TOKEN", "from-env")::get);
    assertThat(o.token()).isEqualTo("from-env");
  }

  @Test
  void commandLineTokenWinsOverEnvironment() throws UsageException {
    IssueOptions o = IssueOptions.parse(new String[] {"--url", "https://h", "--token", "cli"},
        Map.of("ROTOR_TOKEN", "from-env")::get);
    assertThat(o.token()).isEqualTo("cli");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "fail/no-url              | --token t                                  | --url is required",
    "fail/no-token            | --url https://h                            | --token is required",
    "fail/unknown-option      | --url https://h --token t --rate 5         | unknown option --rate",
    "fail/missing-value       | --url https://h --token                    | --token needs a value",
    "fail/positional          | issue --url https://h --token t            | unexpected argument 'issue'",
    "fail/twice               | --url https://h --token t --token u        | --token given twice",
    "fail/scheme              | --url ftp://h --token t                    | must start with https://",
    "fail/no-host             | --url https:/// --token t                  | needs a host",
    "fail/query               | --url https://h/?a=b --token t             | needs a host and no query",
    "fail/concurrency-zero    | --url https://h --token t --concurrency 0  | --concurrency: 0 is outside 1..10000",
    "fail/concurrency-word    | --url https://h --token t --concurrency x  | --concurrency: 'x' is not a whole number",
    "fail/duration-zero       | --url https://h --token t --duration 0s    | --duration must be more than zero",
    "fail/duration-bad        | --url https://h --token t --duration soon  | --duration: 'soon' is not a duration",
    "fail/warmup-bad          | --url https://h --token t --warmup -5s     | --warmup: '-5s' is not a duration",
    "fail/ttl-negative        | --url https://h --token t --ttl -1         | --ttl: -1 is outside",
    "fail/trust-domain        | --url https://h --token t --trust-domain A/B | --trust-domain: 'A/B' is not a trust domain",
    "fail/client              | --url https://h --token t --client curl    | --client: 'curl' is not one of [jetty, jdk]",
    "fail/check               | --url https://h --token t --check none     | --check: 'none' is not one of [list, lookup]",
    "fail/cacert-missing      | --url https://h --token t --cacert /nonexistent/ca.pem | --cacert: cannot read /nonexistent/ca.pem",
    "fail/csrs-zero           | --url https://h --token t --csrs 0         | --csrs: 0 is outside",
    "fail/timeout-zero        | --url https://h --token t --timeout 0ms    | --timeout must be more than zero",
  })
  void rejects(String name, String args, String message) {
    assertThatThrownBy(() -> parse(args.trim().split("\\s+")))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining(message.trim());
  }
}
