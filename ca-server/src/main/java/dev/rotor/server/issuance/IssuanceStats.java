package dev.rotor.server.issuance;

import dev.rotor.server.RotorException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the admin UI's overview shows about issuance: certificates issued per minute (counted in
 * memory, added to {@code issuance_minutes} every few seconds, so every replica's share ends up
 * in one series) and the most recent refusals of this replica. A statistic, not a record: a
 * crash can lose the last few seconds of counts, never a certificate.
 */
public final class IssuanceStats implements AutoCloseable {

  /** A refused issuance, as the overview lists it. */
  public record Failure(Instant at, String channel, String profile, String requester, String code, String detail) {}

  /** One minute of the series. */
  public record Minute(Instant minute, long issued) {}

  static final int KEEP_FAILURES = 50;
  private static final Logger log = LoggerFactory.getLogger(IssuanceStats.class);

  private record Key(Instant minute, String profile, String channel) {}

  private final DataSource dataSource;
  private final Clock clock;
  private final Map<Key, LongAdder> pending = new ConcurrentHashMap<>();
  private final Deque<Failure> failures = new ArrayDeque<>();
  private final ScheduledExecutorService flusher;

  public IssuanceStats(DataSource dataSource, Clock clock, Duration flushEvery) {
    this.dataSource = dataSource;
    this.clock = clock;
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("rotor-stats").daemon(true).unstarted(r));
    flusher.scheduleWithFixedDelay(this::flush, flushEvery.toMillis(), flushEvery.toMillis(), TimeUnit.MILLISECONDS);
  }

  void issued(String profile, Channel channel) {
    Key key = new Key(clock.instant().truncatedTo(ChronoUnit.MINUTES), profile, channel.wire());
    pending.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  void refused(IssuanceRequest request, String profile, RotorException e) {
    Failure f = new Failure(clock.instant(), request.channel().wire(), profile, request.requester(), e.code().slug(),
        e.getMessage());
    synchronized (failures) {
      failures.addFirst(f);
      while (failures.size() > KEEP_FAILURES) {
        failures.removeLast();
      }
    }
  }

  /** Newest first, at most {@link #KEEP_FAILURES}, refused by this replica since it started. */
  public List<Failure> recentFailures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }

  /** Issued per minute over the last {@code minutes} minutes, oldest first, every minute present. */
  public List<Minute> perMinute(int minutes) {
    flush();
    Instant end = clock.instant().truncatedTo(ChronoUnit.MINUTES);
    Instant start = end.minus(Duration.ofMinutes(minutes - 1L));
    Map<Instant, Long> counts = new java.util.HashMap<>();
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT minute, sum(issued) FROM issuance_minutes WHERE minute >= ? GROUP BY minute")) {
      ps.setTimestamp(1, Timestamp.from(start));
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getTimestamp(1).toInstant(), rs.getLong(2));
        }
      }
    } catch (SQLException e) {
      throw new RotorException(dev.rotor.server.ErrorCode.UNAVAILABLE, "the database is unavailable", e);
    }
    List<Minute> out = new ArrayList<>(minutes);
    for (Instant m = start; !m.isAfter(end); m = m.plus(Duration.ofMinutes(1))) {
      out.add(new Minute(m, counts.getOrDefault(m, 0L)));
    }
    return out;
  }

  /** Adds what was counted since the last flush to the database; on failure keeps it for the next one. */
  synchronized void flush() {
    if (pending.isEmpty()) {
      return;
    }
    Map<Key, Long> batch = new java.util.HashMap<>();
    for (Key k : List.copyOf(pending.keySet())) {
      LongAdder a = pending.remove(k);
      if (a != null) {
        batch.merge(k, a.sum(), Long::sum);
      }
    }
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "INSERT INTO issuance_minutes (minute, profile, channel, issued) VALUES (?, ?, ?, ?)"
                 + " ON CONFLICT (minute, profile, channel) DO UPDATE SET issued = issuance_minutes.issued + EXCLUDED.issued")) {
      for (Map.Entry<Key, Long> e : batch.entrySet()) {
        ps.setTimestamp(1, Timestamp.from(e.getKey().minute()));
        ps.setString(2, e.getKey().profile());
        ps.setString(3, e.getKey().channel());
        ps.setLong(4, e.getValue());
        ps.executeUpdate();
      }
    } catch (SQLException | RuntimeException e) {
      batch.forEach((k, n) -> pending.computeIfAbsent(k, x -> new LongAdder()).add(n));
      log.debug("issuance counts not flushed error={}", e.toString());
    }
  }

  @Override
  public void close() {
    flusher.shutdownNow();
    flush();
  }
}
