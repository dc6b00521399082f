package dev.rotor.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.agent.AgentApi;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes the JSON binding behind {@link Exchange#readJson}: for every REST and agent API body
 * record, {@link ObjectMapper#readValue(byte[], Class)} either binds or throws
 * {@link JsonProcessingException} (which readJson turns into MALFORMED_REQUEST). Any other
 * exception, an {@link IOException} that is not a processing error included, would escape readJson
 * as a 500. The first input byte picks the record, the rest is the body (at most
 * {@link Exchange#MAX_BODY} bytes, as Jetty would deliver).
 *
 * <p>The mapper is configured like {@code RotorServer}'s: {@code new ObjectMapper()}.
 */
class JsonBodyFuzzTest {

  static final Duration PER_INPUT = Duration.ofSeconds(5);

  private static final ObjectMapper JSON = new ObjectMapper();

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
    long start = System.nanoTime();
    try {
      Object value = JSON.readValue(body, type);
      if (value != null) {
        assertThat(value).isInstanceOf(type);
      }
    } catch (JsonProcessingException refused) {
      assertThat(refused.getOriginalMessage()).isNotNull();
    } catch (IOException e) {
      throw new AssertionError("readJson would let this IOException escape as a 500", e);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).as("time for one input").isLessThan(PER_INPUT);
  }
}
