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
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
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
  /**
   * One writer: each batch is three round trips and an fsync, whatever its size, so one writer
   * taking everything queued while it committed the last batch beats two taking half each
   * (measured: load-tests/README.md, 2026-11-25). More writers only queue on the audit head.
   */
  private static final int WRITERS = 1;

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
     * Rows gathered from the batch's items and written together after the last item ran, in one
     * statement before the audit entries: {@code create} makes the set on first use and later items add to it. Use
     * it for inserts whose outcome the work does not need to see. The rows of an item that is
     * rejected ({@link RotorException}) are dropped with it.
     */
    <R extends Rows> R rows(Class<R> type, Supplier<R> create);

    /** Appends an audit entry; {@code details} is stored and hashed exactly as given. */
    void audit(String actor, String action, String target, String details);

    /** The time of this transaction (one clock reading per batch item). */
    Instant now();
  }

  /**
   * A set of rows for one table, written as one data-modifying statement over column arrays:
   * its statement reads its columns as {@code ?} parameters of the array types it names, in
   * that order. Every set of a batch goes into one statement, together with the audit chain's
   * head lock, after the items ran, so a batch of issuances costs three round trips to the
   * database (rows and lock; audit entries and head; commit) however many tables it writes.
   */
  public abstract static class Rows {
    private final List<Object[]> rows = new ArrayList<>();
    private final String sql;
    private final String[] types;

    /**
     * @param sql the statement ({@code INSERT ... SELECT ... FROM unnest(?::text[], ...)})
     * @param types the element type of each parameter array, as {@link Connection#createArrayOf} takes it
     */
    protected Rows(String sql, String... types) {
      this.sql = sql;
      this.types = types.clone();
    }

    /** Adds one row: one value per column, in the order of the types given. */
    protected final void add(Object... values) {
      if (values.length != types.length) {
        throw new IllegalArgumentException("a row of " + values.length + " values for " + types.length + " columns");
      }
      rows.add(values);
    }

    /** The rows to write, in order; a set may merge or sort them (the default: as added). */
    protected List<Object[]> toWrite(List<Object[]> added) {
      return added;
    }

    final int size() {
      return rows.size();
    }

    final void truncate(int size) {
      rows.subList(size, rows.size()).clear();
    }

    /** Binds the column arrays from parameter {@code index} on; returns the next index. */
    final int bind(PreparedStatement ps, int index) throws SQLException {
      List<Object[]> write = toWrite(rows);
      for (int col = 0; col < types.length; col++) {
        Object[] column = switch (types[col]) {
          case "bytea" -> new byte[write.size()][];
          case "int4" -> new Integer[write.size()];
          case "int8" -> new Long[write.size()];
          default -> new String[write.size()];
        };
        for (int r = 0; r < write.size(); r++) {
          column[r] = write.get(r)[col];
        }
        ps.setArray(index++, ps.getConnection().createArrayOf(types[col], column));
      }
      return index;
    }
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
    // The head lock keeps the chain a single sequence whatever the number of writers (or replicas).
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
            tx.discardItem();
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
    private final Map<Class<?>, Rows> rows = new LinkedHashMap<>();
    private final Map<Rows, Integer> itemFirstRow = new HashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private int itemFirstEntry;
    private Instant now;

    TxImpl(Connection c) {
      this.c = c;
    }

    void itemStart() {
      itemFirstEntry = entries.size();
      itemFirstRow.clear();
      for (Rows r : rows.values()) {
        itemFirstRow.put(r, r.size());
      }
      now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** Drops what a rejected item added: its audit entries and its rows. */
    void discardItem() {
      entries.subList(itemFirstEntry, entries.size()).clear();
      for (Rows r : rows.values()) {
        r.truncate(itemFirstRow.getOrDefault(r, 0));
      }
    }

    @Override
    public Connection connection() {
      return c;
    }

    @Override
    public <R extends Rows> R rows(Class<R> type, Supplier<R> create) {
      return type.cast(rows.computeIfAbsent(type, t -> create.get()));
    }

    @Override
    public void audit(String actor, String action, String target, String details) {
      entries.add(new Entry(actor, action, target, details, now));
    }

    @Override
    public Instant now() {
      return now;
    }

    /**
     * Writes the gathered rows and appends the audit entries; true if there were entries. Two
     * statements: the rows (one data-modifying CTE per set) with the audit chain's head locked in
     * the same statement, then the entries hashed onto it with the head moved.
     */
    boolean finish() throws SQLException {
      List<Rows> sets = rows.values().stream().filter(r -> r.size() > 0).toList();
      boolean audited = !entries.isEmpty();
      if (sets.isEmpty() && !audited) {
        return false;
      }
      StringBuilder sql = new StringBuilder();
      for (int i = 0; i < sets.size(); i++) {
        sql.append(i == 0 ? "WITH " : ", ").append("r").append(i).append(" AS (").append(sets.get(i).sql).append(")");
      }
      sql.append(sets.isEmpty() ? "" : " ").append(audited ? HEAD_FOR_UPDATE : "SELECT 1");
      long seq = 0;
      byte[] prev = null;
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        int index = 1;
        for (Rows r : sets) {
          index = r.bind(ps, index);
        }
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (audited) {
            seq = rs.getLong(1);
            prev = rs.getBytes(2);
          }
        }
      }
      if (!audited) {
        return false;
      }
      int n = entries.size();
      Long[] seqs = new Long[n];
      String[] ats = new String[n];
      String[] actors = new String[n];
      String[] actions = new String[n];
      String[] targets = new String[n];
      String[] details = new String[n];
      byte[][] prevs = new byte[n][];
      byte[][] hashes = new byte[n][];
      for (int i = 0; i < n; i++) {
        Entry e = entries.get(i);
        seq++;
        byte[] hash = AuditHash.of(prev, seq, e.at(), e.actor(), e.action(), e.target(), e.details());
        seqs[i] = seq;
        ats[i] = e.at().toString();
        actors[i] = e.actor();
        actions[i] = e.action();
        targets[i] = e.target();
        details[i] = e.details();
        prevs[i] = prev;
        hashes[i] = hash;
        prev = hash;
      }
      try (PreparedStatement ps = c.prepareStatement(APPEND)) {
        ps.setArray(1, c.createArrayOf("int8", seqs));
        ps.setArray(2, c.createArrayOf("text", ats));
        ps.setArray(3, c.createArrayOf("text", actors));
        ps.setArray(4, c.createArrayOf("text", actions));
        ps.setArray(5, c.createArrayOf("text", targets));
        ps.setArray(6, c.createArrayOf("text", details));
        ps.setArray(7, c.createArrayOf("bytea", prevs));
        ps.setArray(8, c.createArrayOf("bytea", hashes));
        ps.setLong(9, seq);
        ps.setBytes(10, prev);
        ps.executeUpdate();
      }
      return true;
    }
  }

  private static final String HEAD_FOR_UPDATE = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";
  private static final String APPEND = "WITH appended AS (INSERT INTO audit_log (seq, at, actor, action, target, details,"
      + " prev_hash, hash) SELECT * FROM unnest(?::int8[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[],"
      + " ?::bytea[], ?::bytea[])) UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1";

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
