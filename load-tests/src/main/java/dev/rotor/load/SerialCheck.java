package dev.rotor.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Confirms that every serial the load received is recorded by the server — the server promises to
 * answer 201 only after the row is committed, and this is where that promise is checked.
 *
 * <p>Two ways: page through {@code GET /api/v1/certificates?limit=1000} (one request per thousand
 * certificates, the default) or {@code GET /api/v1/certificates/<serial>} per serial (200 recorded,
 * 404 missing) with bounded concurrency. Serials are compared after {@link #normalize}, so a server
 * that prints {@code 0A:1B} in one place and {@code a1b} in another is not reported as losing data.
 */
final class SerialCheck {

  static final int PAGE_SIZE = 1000;
  static final int LOOKUP_CONCURRENCY = 16;
  private static final long MAX_PAGES = 1_000_000;

  /**
   * @param missing received serials the server does not have
   * @param unverified serials whose lookup failed with something other than 200/404
   * @param method how it was checked, for the report
   * @param recorded serials the server listed (list) or confirmed (lookup)
   * @param firstProblem the first lookup that failed, or null
   */
  record Verdict(long missing, long unverified, String method, long recorded, long requests,
      double seconds, String firstProblem) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client;
  private final String baseUrl;
  private final String authorization;

  SerialCheck(HttpClient client, String baseUrl, String token) {
    this.client = client;
    this.baseUrl = baseUrl;
    this.authorization = "Bearer " + token;
  }

  /** Lower case, no colons, no leading zeros: the serial as a number, written one way. */
  static String normalize(String serial) {
    String s = serial.trim().toLowerCase(Locale.ROOT).replace(":", "");
    int i = 0;
    while (i < s.length() - 1 && s.charAt(i) == '0') {
      i++;
    }
    return s.substring(i);
  }

  /** Received serials absent from {@code listed} (both compared normalized). */
  static long countMissing(Collection<String> received, Set<String> listedNormalized) {
    return received.stream().map(SerialCheck::normalize).distinct()
        .filter(s -> !listedNormalized.contains(s)).count();
  }

  Verdict byListing(Collection<String> received) throws Exception {
    long start = System.nanoTime();
    Set<String> listed = new HashSet<>();
    Set<String> cursorsSeen = new HashSet<>();
    String cursor = null;
    long pages = 0;
    do {
      String url = baseUrl + "/api/v1/certificates?limit=" + PAGE_SIZE
          + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      ContentResponse response = client.newRequest(url)
          .headers(h -> h.put(HttpHeader.AUTHORIZATION, authorization)
              .put(HttpHeader.ACCEPT, "application/json"))
          .timeout(60, TimeUnit.SECONDS)
          .send();
      pages++;
      if (response.getStatus() != 200) {
        throw new IOException("GET " + url + " answered " + response.getStatus() + ": "
            + Http.abbreviate(response.getContentAsString()));
      }
      JsonNode page = JSON.readTree(response.getContent());
      JsonNode items = page.path("items");
      if (!items.isArray()) {
        throw new IOException("GET " + url + ": no \"items\" array in the response");
      }
      for (JsonNode item : items) {
        String serial = item.path("serial").asText("");
        if (!serial.isEmpty()) {
          listed.add(normalize(serial));
        }
      }
      JsonNode next = page.path("next");
      cursor = next.isTextual() && !next.asText().isEmpty() ? next.asText() : null;
      if (cursor != null && !cursorsSeen.add(cursor)) {
        throw new IOException("the listing returned cursor '" + cursor + "' twice");
      }
    } while (cursor != null && pages < MAX_PAGES);
    long missing = countMissing(received, listed);
    return new Verdict(missing, 0, "listing (GET /api/v1/certificates?limit=" + PAGE_SIZE + ")",
        listed.size(), pages, (System.nanoTime() - start) / 1e9, null);
  }

  Verdict byLookup(Collection<String> received) throws InterruptedException {
    long start = System.nanoTime();
    Set<String> distinct = new HashSet<>(received);
    Semaphore permits = new Semaphore(LOOKUP_CONCURRENCY);
    CountDownLatch done = new CountDownLatch(distinct.size());
    AtomicLong found = new AtomicLong();
    AtomicLong missing = new AtomicLong();
    AtomicLong unverified = new AtomicLong();
    AtomicReference<String> firstProblem = new AtomicReference<>();
    for (String serial : distinct) {
      permits.acquire();
      String url = baseUrl + "/api/v1/certificates/"
          + URLEncoder.encode(serial, StandardCharsets.UTF_8);
      client.newRequest(url)
          .headers(h -> h.put(HttpHeader.AUTHORIZATION, authorization)
              .put(HttpHeader.ACCEPT, "application/json"))
          .timeout(30, TimeUnit.SECONDS)
          .send(new BufferingResponseListener(1 << 20) {
            @Override
            public void onComplete(Result result) {
              try {
                int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
                if (result.isFailed()) {
                  unverified.incrementAndGet();
                  firstProblem.compareAndSet(null, url + ": " + result.getFailure());
                } else if (status == 200) {
                  found.incrementAndGet();
                } else if (status == 404) {
                  missing.incrementAndGet();
                } else {
                  unverified.incrementAndGet();
                  firstProblem.compareAndSet(null, url + " answered " + status + ": "
                      + Http.abbreviate(getContentAsString()));
                }
              } finally {
                permits.release();
                done.countDown();
              }
            }
          });
    }
    done.await();
    return new Verdict(missing.get(), unverified.get(),
        "lookup (GET /api/v1/certificates/<serial>)", found.get(), distinct.size(),
        (System.nanoTime() - start) / 1e9, firstProblem.get());
  }
}
