package dev.rotor.server.store;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of durable state: every write that must be audited (issuance, revocation, token
 * and CA creation) is a {@link Work} item submitted here, and its future completes only after the
 * transaction holding it has committed.
 *
 * <p>Group commit: a writer thread drains whatever has queued up (up to {@link #MAX_BATCH} items)
 * and runs it in a single transaction, so a burst of issuances costs one fsync, not one each. The
 * same transaction extends the hash-chained audit log: it locks the chain head, appends one entry
 * per item, and moves the head, so entries from every replica form one chain.
 *
 * <p>A {@link Work} that rejects its input throws {@link RotorException} <em>before</em> it
 * changes anything; only that item fails. A database error fails the whole batch with
 * {@link ErrorCode#UNAVAILABLE} and nothing in it is committed.
 */
public final class Journal implements AutoCloseable {

  /** Largest number of items committed together. */
  public static final int MAX_BATCH = 512;
  private static final int QUEUE_CAPACITY = 20_000;
  private static final int WRITERS = 2;

  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  /** One unit of work inside a batch transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T apply(Tx tx) throws Exception;
  }

  /** What a {@link Work} may do inside the batch transaction. */
  public interface Tx {
    Connection connection();

    /**
     * A statement shared by the whole batch: add parameters and {@code addBatch()}; it runs once,
     * with all rows, before commit. Use it for inserts whose outcome the work does not need to see.
     */
    PreparedStatement batch(String sql) throws SQLException;

    /**
     * A statement run once per transaction, before the {@link #batch} statements, made from what
     * the batch's items gathered: {@code create} makes it on first use and later items add to it.
     * For rows that others' batch rows depend on, written in one sorted statement so that two
     * writers inserting the same keys lock them in the same order.
     */
    <P extends Prelude> P prelude(Class<P> type, Supplier<P> create);

    /** Appends an audit entry; {@code details} is stored and hashed exactly as given. */
    void audit(String actor, String action, String target, String details);

    /** The time of this transaction (one clock reading per batch item). */
    Instant now();
  }

  /** See {@link Tx#prelude}. */
  public interface Prelude {
    void run(Connection c) throws SQLException;
  }

  private record Pending<T>(Work<T> work, CompletableFuture<T> future) {}

  private record Entry(String actor, String action, String target, String details, Instant at) {}

  private final DataSource dataSource;
  private final Clock clock;
  private final BlockingQueue<Pending<?>> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final List<Thread> writers = new ArrayList<>();
  private final DistributionSummary batchSizes;
  private final Timer commitTimer;
  private volatile boolean running = true;
  private volatile boolean healthy = true;
  private static final long PROBE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** When the audit-log probe last ran (System.nanoTime, whose origin is arbitrary: start one interval back). */
  private volatile long lastProbe = System.nanoTime() - PROBE_INTERVAL_NANOS;

  public Journal(DataSource dataSource, Clock clock, MeterRegistry meters) {
    this.dataSource = dataSource;
    this.clock = clock;
    this.batchSizes = DistributionSummary.builder("rotor_journal_batch_size")
        .description("items committed per transaction (group commit)")
        .register(meters);
    this.commitTimer = Timer.builder("rotor_journal_commit_seconds")
        .description("time to run and commit one batch")
        .publishPercentileHistogram()
        .register(meters);
    // Two writers pipeline: while one holds the audit-chain head and waits for its commit's fsync,
    // the other already inserts its batch's rows, then queues on the head lock. The lock keeps
    // the chain a single sequence whatever the number of writers (or replicas).
    for (int i = 0; i < WRITERS; i++) {
      Thread t = Thread.ofPlatform().name("rotor-journal-" + i).daemon(true).unstarted(this::run);
      writers.add(t);
      t.start();
    }
  }

  /** Queues work; the future completes after commit, or fails with a {@link RotorException}. */
  public <T> CompletableFuture<T> submit(Work<T> work) {
    CompletableFuture<T> future = new CompletableFuture<>();
    if (!running) {
      future.completeExceptionally(new RotorException(ErrorCode.UNAVAILABLE, "the server is shutting down"));
    } else if (!queue.offer(new Pending<>(work, future))) {
      future.completeExceptionally(new RotorException(ErrorCode.UNAVAILABLE, "too many writes queued"));
    }
    return future;
  }

  /** Submits and waits for the commit. */
  public <T> T execute(Work<T> work) {
    return await(submit(work));
  }

  private static <T> T await(CompletableFuture<T> pending) {
    try {
      return pending.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RotorException re) {
        throw re;
      }
      throw new RotorException(ErrorCode.INTERNAL, "journal write failed", e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new RotorException(ErrorCode.UNAVAILABLE, "the database did not commit in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RotorException(ErrorCode.UNAVAILABLE, "interrupted");
    }
  }

  /**
   * False after a batch failed on a database error, until a batch that wrote audit entries
   * commits or the idle writer's probe finds the audit log writable again (readiness: a server
   * that cannot write its audit log must not take traffic; issuance fails closed meanwhile).
   */
  public boolean isHealthy() {
    return healthy;
  }

  private void run() {
    List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
    while (running || !queue.isEmpty()) {
      try {
        Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (!healthy) {
            probe();
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        process(batch);
      } catch (InterruptedException e) {
        if (!running) {
          break;
        }
      } catch (RuntimeException e) {
        log.error("journal batch failed unexpectedly", e);
        for (Pending<?> p : batch) {
          p.future().completeExceptionally(new RotorException(ErrorCode.INTERNAL, "journal failure", e));
        }
      } finally {
        batch.clear();
      }
    }
  }

  /**
   * Whether an audit entry could be written now: an insert into {@code audit_log} (row-level
   * privileges, triggers and constraints apply) in a transaction that is rolled back. Nothing is
   * written. Run by an idle writer while unhealthy, so readiness comes back without traffic.
   */
  private void probe() {
    long now = System.nanoTime();
    if (now - lastProbe < PROBE_INTERVAL_NANOS) {
      return;
    }
    lastProbe = now;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash)"
              + " VALUES (-1, now(), 'system', 'journal.probe', NULL, '{}', ''::bytea, ''::bytea)")) {
        ins.executeUpdate();
      } finally {
        c.rollback();
      }
      healthy = true;
      log.info("journal probe: the audit log is writable again");
    } catch (SQLException e) {
      log.debug("journal probe failed error={}", e.toString());
    }
  }

  private void process(List<Pending<?>> batch) {
    // Exceptions other than RotorException fail the whole batch: nothing in it is committed.
    long t0 = System.nanoTime();
    Object[] results = new Object[batch.size()];
    RotorException[] rejections = new RotorException[batch.size()];
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        TxImpl tx = new TxImpl(c);
        for (int i = 0; i < batch.size(); i++) {
          tx.itemStart();
          try {
            results[i] = batch.get(i).work().apply(tx);
          } catch (RotorException e) {
            rejections[i] = e;
            tx.discardItemAudit();
          }
        }
        boolean audited = tx.finish();
        c.commit();
        if (audited) {
          healthy = true;
        }
      } catch (Exception e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is broken; Hikari discards it
        }
        throw e;
      }
    } catch (Exception e) {
      healthy = false;
      log.warn("journal batch rolled back items={} error={}", batch.size(), e.toString());
      RotorException failure = new RotorException(ErrorCode.UNAVAILABLE, "the database is unavailable; nothing was recorded", e);
      for (Pending<?> p : batch) {
        p.future().completeExceptionally(failure);
      }
      return;
    }
    batchSizes.record(batch.size());
    commitTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    for (int i = 0; i < batch.size(); i++) {
      complete(batch.get(i), results[i], rejections[i]);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void complete(Pending<T> p, Object result, RotorException rejection) {
    if (rejection != null) {
      p.future().completeExceptionally(rejection);
    } else {
      p.future().complete((T) result);
    }
  }

  private final class TxImpl implements Tx {
    private final Connection c;
    private final Map<String, PreparedStatement> batches = new LinkedHashMap<>();
    private final Map<Class<?>, Prelude> preludes = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private int itemFirstEntry;
    private Instant now;

    TxImpl(Connection c) {
      this.c = c;
    }

    void itemStart() {
      itemFirstEntry = entries.size();
      now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    void discardItemAudit() {
      entries.subList(itemFirstEntry, entries.size()).clear();
    }

    @Override
    public Connection connection() {
      return c;
    }

    @Override
    public PreparedStatement batch(String sql) throws SQLException {
      PreparedStatement ps = batches.get(sql);
      if (ps == null) {
        ps = c.prepareStatement(sql);
        batches.put(sql, ps);
      }
      return ps;
    }

    @Override
    public <P extends Prelude> P prelude(Class<P> type, Supplier<P> create) {
      return type.cast(preludes.computeIfAbsent(type, t -> create.get()));
    }

    @Override
    public void audit(String actor, String action, String target, String details) {
      entries.add(new Entry(actor, action, target, details, now));
    }

    @Override
    public Instant now() {
      return now;
    }

    /** Runs the batched statements and appends the audit entries; true if there were entries. */
    boolean finish() throws SQLException {
      for (Prelude p : preludes.values()) {
        p.run(c);
      }
      for (PreparedStatement ps : batches.values()) {
        ps.executeBatch();
        ps.close();
      }
      if (entries.isEmpty()) {
        return false;
      }
      long seq;
      byte[] prev;
      try (PreparedStatement head = c.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE");
           ResultSet rs = head.executeQuery()) {
        rs.next();
        seq = rs.getLong(1);
        prev = rs.getBytes(2);
      }
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (Entry e : entries) {
          seq++;
          byte[] hash = AuditHash.of(prev, seq, e.at(), e.actor(), e.action(), e.target(), e.details());
          ins.setLong(1, seq);
          ins.setObject(2, e.at().atOffset(ZoneOffset.UTC));
          ins.setString(3, e.actor());
          ins.setString(4, e.action());
          ins.setString(5, e.target());
          ins.setString(6, e.details());
          ins.setBytes(7, prev);
          ins.setBytes(8, hash);
          ins.addBatch();
          prev = hash;
        }
        ins.executeBatch();
      }
      try (PreparedStatement upd = c.prepareStatement("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")) {
        upd.setLong(1, seq);
        upd.setBytes(2, prev);
        upd.executeUpdate();
      }
      return true;
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread writer : writers) {
      try {
        writer.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Pending<?> p;
    while ((p = queue.poll()) != null) {
      p.future().completeExceptionally(new RotorException(ErrorCode.UNAVAILABLE, "the server is shutting down"));
    }
  }

  /** The audit chain's hash function, shared by the writer and the verifier. */
  public static final class AuditHash {
    private AuditHash() {}

    /** SHA-256 over the previous hash and the length-prefixed fields of the entry. */
    public static byte[] of(byte[] prev, long seq, Instant at, String actor, String action, String target, String details) {
      MessageDigest md;
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      md.update(prev);
      md.update(ByteBuffer.allocate(16).putLong(seq).putLong(ChronoUnit.MICROS.between(Instant.EPOCH, at)).array());
      for (String field : new String[] {actor, action, target == null ? "" : target, details}) {
        byte[] b = field.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      return md.digest();
    }
  }
}
