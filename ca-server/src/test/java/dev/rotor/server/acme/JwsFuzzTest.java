package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the ACME request path from body bytes to payload: {@link Jws#parse}, {@link Jws#verify}
 * with the embedded jwk, {@link Jws#payloadObject}, the externalAccountBinding checks and
 * {@link RenewalInfo#parse} (the ARI certID). The only refusal allowed is {@link AcmeException};
 * anything else would reach the handler as a 500. Each input must finish within {@link #PER_INPUT} of CPU time.
 *
 * <p>Seeds: {@code src/test/resources/dev/rotor/server/acme/JwsFuzzTestInputs/flattened/}.
 */
class JwsFuzzTest {

  /**
   * CPU time of the test thread per input (not wall time: the machine may be busy). Generous: an
   * RS256 check with a 4096-bit key takes milliseconds even instrumented.
   */
  static final Duration PER_INPUT = Duration.ofSeconds(5);

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NEW_ACCOUNT_URL = "https://ca.example/acme/new-account";
  private static final byte[] EAB_KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  @FuzzTest(maxDuration = "30s")
  void flattened(byte[] body) {
    long start = THREADS.getCurrentThreadCpuTime();
    try {
      Jws jws = Jws.parse(body, JSON);
      assertThat(Jws.ALGORITHMS).contains(jws.alg());
      assertThat(jws.jwk() == null).isNotEqualTo(jws.kid() == null);
      if (jws.jwk() != null) {
        // Exercises key checks and signature verification whatever the verdict.
        verifyQuietly(jws);
        Jws.thumbprint(jws.jwk());
        Jws.publicKey(jws.jwk());
      }
      if (!jws.isPostAsGet()) {
        ObjectNode payload = jws.payloadObject(JSON);
        JsonNode eab = payload.get("externalAccountBinding");
        if (eab != null && jws.jwk() != null) {
          ExternalAccountBinding.keyId(eab, NEW_ACCOUNT_URL, JSON);
          ExternalAccountBinding.verify(eab, EAB_KEY, jws.jwk());
        }
        JsonNode certId = payload.get("certId");
        if (certId != null) {
          RenewalInfo.parse(certId.asText());
        }
      }
    } catch (AcmeException refused) {
      assertThat(refused.getMessage()).isNotNull();
    }
    Duration took = Duration.ofNanos(THREADS.getCurrentThreadCpuTime() - start);
    assertThat(took).as("CPU time for one input").isLessThan(PER_INPUT);
  }


  /** The committed seeds as (file name, bytes); ok-* must be accepted and fail-* refused. */
  static Stream<Arguments> seeds() throws Exception {
    Path dir = Path.of(JwsFuzzTest.class.getResource("JwsFuzzTestInputs/flattened").toURI());
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
    if (name.startsWith("ok-")) {
      assertThatCode(() -> strict(seed)).doesNotThrowAnyException();
    } else {
      assertThatThrownBy(() -> strict(seed)).isInstanceOf(AcmeException.class);
    }
  }

  /** The whole path with every check enforced, as a request with a jwk would go through it. */
  private static void strict(byte[] body) {
    Jws jws = Jws.parse(body, JSON);
    if (jws.jwk() != null) {
      jws.verify(jws.jwk());
    }
    if (!jws.isPostAsGet()) {
      ObjectNode payload = jws.payloadObject(JSON);
      JsonNode eab = payload.get("externalAccountBinding");
      if (eab != null) {
        ExternalAccountBinding.keyId(eab, NEW_ACCOUNT_URL, JSON);
        ExternalAccountBinding.verify(eab, EAB_KEY, jws.jwk());
      }
      if (payload.has("certId")) {
        RenewalInfo.parse(payload.get("certId").asText());
      }
    }
  }

  private static void verifyQuietly(Jws jws) {
    try {
      jws.verify(jws.jwk());
    } catch (AcmeException refused) {
      // A bad signature is an answer, not a finding; the rest of the path still runs.
    }
  }
}
