package dev.rotor.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.agent.AgentApi;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@link Exchange#parseJson}, the JSON binding behind {@link Exchange#readJson}, for every
 * REST and agent API body record: it binds or throws a MALFORMED_REQUEST {@link RotorException};
 * anything else would reach the router as a 500. The first input byte picks the record, the rest
 * is the body (at most {@link Exchange#MAX_BODY} bytes, as Jetty would deliver). The mapper is
 * configured like {@code RotorServer}'s: {@code new ObjectMapper()}.
 *
 * <p>Seeds: {@code src/test/resources/dev/rotor/server/api/JsonBodyFuzzTestInputs/bodies/};
 * {@code fail-utf32-invalid-code-point.bin} is the input this test found (a 500 before the fix).
 */
class JsonBodyFuzzTest {

  /** CPU time of the test thread per input; generous, binding a 64 KiB body takes milliseconds. */
  static final Duration PER_INPUT = Duration.ofSeconds(5);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static final List<Class<?>> BODIES = List.of(
      RestApi.IssueBody.class,
      RestApi.RevokeBody.class,
      RestApi.TokenBody.class,
      SessionApi.LoginBody.class,
      AgentApi.AttestBody.class,
      AgentApi.RenewBody.class,
      AgentApi.SignBody.class,
      AgentApi.JoinTokenBody.class);

  @FuzzTest(maxDuration = "30s")
  void bodies(byte[] input) {
    if (input.length < 1 || input.length > Exchange.MAX_BODY + 1) {
      return;
    }
    Class<?> type = BODIES.get(Math.floorMod(input[0], BODIES.size()));
    byte[] body = Arrays.copyOfRange(input, 1, input.length);
    long start = THREADS.getCurrentThreadCpuTime();
    try {
      assertThat(Exchange.parseJson(JSON, body, type)).isInstanceOf(type);
    } catch (RotorException refused) {
      assertThat(refused.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    }
    Duration took = Duration.ofNanos(THREADS.getCurrentThreadCpuTime() - start);
    assertThat(took).as("CPU time for one input").isLessThan(PER_INPUT);
  }

  /** The committed seeds as (file name, bytes); ok-* must be accepted and fail-* refused. */
  static Stream<Arguments> seeds() throws Exception {
    Path dir = Path.of(JsonBodyFuzzTest.class.getResource("JsonBodyFuzzTestInputs/bodies").toURI());
    try (Stream<Path> files = Files.list(dir)) {
      List<Arguments> all = new ArrayList<>();
      for (Path f : files.sorted().toList()) {
        all.add(Arguments.of(f.getFileName().toString(), Files.readAllBytes(f)));
      }
      return all.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void seedVerdict(String name, byte[] seed) {
    Class<?> type = BODIES.get(Math.floorMod(seed[0], BODIES.size()));
    byte[] body = Arrays.copyOfRange(seed, 1, seed.length);
    if (name.startsWith("ok-")) {
      assertThat(Exchange.parseJson(JSON, body, type)).isInstanceOf(type);
    } else {
      assertThatThrownBy(() -> Exchange.parseJson(JSON, body, type))
          .isInstanceOfSatisfying(RotorException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    }
  }
}
