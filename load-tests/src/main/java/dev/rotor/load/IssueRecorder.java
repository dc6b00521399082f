package dev.rotor.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What the load produced, recorded from transport threads: latency of requests that completed in
 * the measured window, 201 counts, errors by kind with the first few distinct bodies, and the
 * serial of every 201 (warmup included, since all of them must be recorded by the server).
 */
final class IssueRecorder {

  private static final JsonFactory JSON = new JsonFactory();

  private final long measureStartNanos;
  private final long measureEndNanos;
  private final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3);
  private final LongAdder requests = new LongAdder();
  private final LongAdder issued = new LongAdder();
  private final LongAdder measuredRequests = new LongAdder();
  private final LongAdder measuredIssued = new LongAdder();
  private final LongAdder measuredErrors = new LongAdder();
  private final ErrorTally errors = new ErrorTally();
  private final ConcurrentLinkedQueue<String> serials = new ConcurrentLinkedQueue<>();

  IssueRecorder(long measureStartNanos, long measureEndNanos) {
    this.measureStartNanos = measureStartNanos;
    this.measureEndNanos = measureEndNanos;
  }

  /** Records one finished request; a request counts as measured if it completed in the window. */
  void record(long startNanos, long endNanos, int status, byte[] body, Throwable failure) {
    requests.increment();
    boolean measured = endNanos - measureStartNanos >= 0 && endNanos - measureEndNanos < 0;
    if (measured) {
      measuredRequests.increment();
      latencyMicros.recordValue(Math.max(0, (endNanos - startNanos) / 1_000));
    }
    String error;
    String detail;
    if (failure != null) {
      error = "transport " + failure.getClass().getSimpleName()
          + (status != 0 ? " after " + status : "");
      detail = String.valueOf(failure.getMessage());
    } else if (status != 201) {
      error = "http " + status;
      detail = new String(body, StandardCharsets.UTF_8);
    } else {
      String serial = serialOf(body);
      if (serial == null) {
        error = "201 without serial";
        detail = new String(body, StandardCharsets.UTF_8);
      } else {
        serials.add(serial);
        issued.increment();
        if (measured) {
          measuredIssued.increment();
        }
        return;
      }
    }
    errors.add(error, detail);
    if (measured) {
      measuredErrors.increment();
    }
  }

  /** The {@code serial} string of a 201 body, read with a streaming parser that stops there. */
  static String serialOf(byte[] body) {
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("serial")) {
          return value == JsonToken.VALUE_STRING && !p.getText().isBlank() ? p.getText() : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  long requests() {
    return requests.sum();
  }

  long issued() {
    return issued.sum();
  }

  long measuredRequests() {
    return measuredRequests.sum();
  }

  long measuredIssued() {
    return measuredIssued.sum();
  }

  long measuredErrors() {
    return measuredErrors.sum();
  }

  long errorCount() {
    return errors.count();
  }

  /** Errors over the whole run, by kind, sorted by kind. */
  Map<String, Long> errorsByKind() {
    return errors.byKind();
  }

  List<String> errorSamples() {
    return errors.samples();
  }

  List<String> serials() {
    return List.copyOf(serials);
  }

  Histogram latencyMicros() {
    return latencyMicros.copy();
  }
}
