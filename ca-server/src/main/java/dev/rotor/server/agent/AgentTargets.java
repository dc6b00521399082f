package dev.rotor.server.agent;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which Secrets and directories each agent keeps filled, as the agents say when they ask for a
 * workload certificate ({@code target} in {@code /agent/v1/workloads/sign}). Remembered in memory
 * on the hot path and added to {@code agent_targets} every few seconds, so the renewal path pays
 * no extra database write; entries unseen for a day are dropped.
 */
public final class AgentTargets implements AutoCloseable {

  /** One managed place. */
  public record Target(String target, String identity, Instant lastSeen) {}

  static final Pattern VALID = Pattern.compile("(secret:[a-z0-9][-a-z0-9.]{0,252}/[a-z0-9][-a-z0-9.]{0,252}|file:/[\\x21-\\x7e ]{1,300})");
  static final Duration KEEP = Duration.ofHours(24);
  private static final Logger log = LoggerFactory.getLogger(AgentTargets.class);

  private record Key(String node, String target) {}

  private final DataSource dataSource;
  private final Clock clock;
  private final Map<Key, Target> pending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService flusher;

  public AgentTargets(DataSource dataSource, Clock clock, Duration flushEvery) {
    this.dataSource = dataSource;
    this.clock = clock;
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("rotor-agent-targets").daemon(true).unstarted(r));
    flusher.scheduleWithFixedDelay(this::flush, flushEvery.toMillis(), flushEvery.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether {@code target} is a well-formed place name (anything else is refused as malformed). */
  public static boolean valid(String target) {
    return VALID.matcher(target).matches();
  }

  void seen(String node, String target, String identity) {
    pending.put(new Key(node, target), new Target(target, identity, clock.instant()));
  }

  /** What {@code node}'s agent manages, most recently renewed first. */
  public List<Target> of(String node) {
    flush();
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT target, identity, last_seen FROM agent_targets WHERE node = ? AND last_seen > ? ORDER BY last_seen DESC LIMIT 1000")) {
      ps.setString(1, node);
      ps.setTimestamp(2, Timestamp.from(clock.instant().minus(KEEP)));
      List<Target> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Target(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new RotorException(ErrorCode.UNAVAILABLE, "the database is unavailable", e);
    }
  }

  synchronized void flush() {
    if (pending.isEmpty()) {
      return;
    }
    Map<Key, Target> batch = new java.util.HashMap<>();
    for (Key k : List.copyOf(pending.keySet())) {
      Target t = pending.remove(k);
      if (t != null) {
        batch.put(k, t);
      }
    }
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "INSERT INTO agent_targets (node, target, identity, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT (node, target)"
                 + " DO UPDATE SET identity = EXCLUDED.identity, last_seen = GREATEST(agent_targets.last_seen, EXCLUDED.last_seen)");
         PreparedStatement purge = c.prepareStatement("DELETE FROM agent_targets WHERE last_seen < ?")) {
      for (Map.Entry<Key, Target> e : batch.entrySet()) {
        ps.setString(1, e.getKey().node());
        ps.setString(2, e.getKey().target());
        ps.setString(3, e.getValue().identity());
        ps.setTimestamp(4, Timestamp.from(e.getValue().lastSeen()));
        ps.addBatch();
      }
      ps.executeBatch();
      purge.setTimestamp(1, Timestamp.from(clock.instant().minus(KEEP)));
      purge.executeUpdate();
    } catch (SQLException | RuntimeException e) {
      batch.forEach(pending::putIfAbsent);
      log.debug("agent targets not flushed error={}", e.toString());
    }
  }

  @Override
  public void close() {
    flusher.shutdownNow();
    flush();
  }
}
