package dev.rotor.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApiErrorTest {

  private static final Instant NOW = Instant.parse("2026-11-24T06:00:00Z");

  @Test
  void retry_after_in_seconds_or_as_an_http_date() {
    assertThat(ApiError.parseRetryAfter("7", NOW)).hasValue(Duration.ofSeconds(7));
    assertThat(ApiError.parseRetryAfter(" 0 ", NOW)).hasValue(Duration.ZERO);
    assertThat(ApiError.parseRetryAfter("Tue, 24 Nov 2026 06:00:30 GMT", NOW)).hasValue(Duration.ofSeconds(30));
    assertThat(ApiError.parseRetryAfter("Tue, 24 Nov 2026 05:59:00 GMT", NOW)).hasValue(Duration.ZERO);
  }

  @Test
  void unusable_retry_after_is_ignored_and_a_huge_one_capped() {
    assertThat(ApiError.parseRetryAfter(null, NOW)).isEmpty();
    assertThat(ApiError.parseRetryAfter("soon", NOW)).isEmpty();
    assertThat(ApiError.parseRetryAfter("-5", NOW)).isEmpty();
    assertThat(ApiError.parseRetryAfter("1.5", NOW)).isEmpty();
    assertThat(ApiError.parseRetryAfter("99999999999999999999", NOW)).hasValue(ApiError.MAX_RETRY_AFTER);
    assertThat(ApiError.parseRetryAfter("86400", NOW)).hasValue(ApiError.MAX_RETRY_AFTER);
  }

  @Test
  void retry_after_is_kept_for_429_and_503_only() {
    ApiError shed = ApiError.ofStatus(429, "urn:rotor:problem:overloaded", "busy", Optional.of(Duration.ofSeconds(4)));
    assertThat(shed.kind()).isEqualTo(ApiError.Kind.UNAVAILABLE);
    assertThat(shed.retryAfter()).hasValue(Duration.ofSeconds(4));
    assertThat(ApiError.ofStatus(503, null, null, Optional.of(Duration.ofSeconds(5))).retryAfter()).hasValue(Duration.ofSeconds(5));
    assertThat(ApiError.ofStatus(400, null, null, Optional.of(Duration.ofSeconds(5))).retryAfter()).isEmpty();
    assertThat(ApiError.ofStatus(401, null, null, Optional.of(Duration.ofSeconds(5))).retryAfter()).isEmpty();
  }
}
