package dev.rotor.server.ca;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.Serials;
import dev.rotor.pki.SigningCa;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.store.Journal;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's state transitions: prepare the next intermediate, activate it, retire and remove the
 * old one (on the {@link RotationSchedule}), taint the active one, remove a tainted one.
 *
 * <p>Each transition is one journal transaction that first locks the {@code ca_rotation} row
 * ({@code SELECT … FOR UPDATE}), re-reads the CA rows and re-checks its condition, so it happens
 * exactly once whichever replica runs it and however many try at once; a replica that dies before
 * the commit leaves nothing behind (the next lease holder does the step again). Key generation
 * happens before the transaction; a replica that loses the race discards its key. Every
 * transition moves {@code ca_rotation.generation}, which tells every replica to reload.
 */
public final class CaRotation {

  private static final Logger log = LoggerFactory.getLogger(CaRotation.class);

  /** What a transition did, for the API's answer. */
  public record Outcome(String action, Map<String, Object> details) {}

  private final CaBootstrap cas;
  private final DataSource dataSource;
  private final Journal journal;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  /**
   * Test hook, off unless a test sets it: called inside a transition's transaction just before it
   * commits, with the action name; a hook that throws aborts the transition as a crash would.
   */
  private volatile Consumer<String> beforeCommit = action -> {};

  public CaRotation(CaBootstrap cas, DataSource dataSource, Journal journal, Clock clock) {
    this.cas = cas;
    this.dataSource = dataSource;
    this.journal = journal;
    this.clock = clock;
  }

  /** For tests only (see {@link #beforeCommit}). */
  public void beforeCommitForTests(Consumer<String> hook) {
    this.beforeCommit = hook;
  }

  /** Runs the transitions due now (called by the lease holder). Returns what happened. */
  public List<Outcome> tick() throws IOException, SQLException {
    Instant now = clock.instant();
    List<CaBootstrap.StoredCa> rows;
    try (Connection c = dataSource.getConnection()) {
      rows = cas.stored(c);
    }
    CaBootstrap.StoredCa active = find(rows, "intermediate", CaState.ACTIVE)
        .orElseThrow(() -> new IllegalStateException("no active issuing CA"));
    if (!active.stored().held()) {
      return List.of(); // an imported CA: the operator rotates it
    }
    Optional<CaBootstrap.StoredCa> prepared = find(rows, "intermediate", CaState.PREPARED);
    List<Outcome> done = new java.util.ArrayList<>();
    switch (RotationSchedule.next(now, active.validity(), prepared.map(CaBootstrap.StoredCa::validity))) {
      case PREPARE -> prepare(active.id()).ifPresent(done::add);
      case ACTIVATE -> activate(active.id(), prepared.get().id()).ifPresent(done::add);
      case NONE -> { }
    }
    for (CaBootstrap.StoredCa r : rows) {
      if (r.kind().equals("root") && r.state() == CaState.RETIRED && rows.stream().noneMatch(
          x -> x.kind().equals("intermediate") && x.parentId() != null && x.parentId() == r.id())) {
        removeRootIfUnused(r.id()).ifPresent(done::add);
      }
      if (r.kind().equals("intermediate") && r.state() == CaState.RETIRED
          && RotationSchedule.isRemovable(now, r.validity(), lastLeafNotAfter(r.id()))) {
        remove(r.id(), CaState.RETIRED, "system", "ca.removed", false).ifPresent(done::add);
      }
    }
    return done;
  }

  /** Prepares the successor of intermediate {@code activeId} unless someone already did. */
  Optional<Outcome> prepare(int activeId) throws IOException {
    SigningCa root = activeRoot();
    CaBootstrap.NewCa fresh = cas.newIntermediate(root);
    return journal.execute(tx -> {
      lock(tx);
      List<CaBootstrap.StoredCa> rows = cas.stored(tx.connection());
      Optional<CaBootstrap.StoredCa> active = find(rows, "intermediate", CaState.ACTIVE);
      if (active.isEmpty() || active.get().id() != activeId || find(rows, "intermediate", CaState.PREPARED).isPresent()) {
        return Optional.<Outcome>empty();
      }
      int rootId = find(rows, "root", CaState.ACTIVE).orElseThrow().id();
      int id = cas.insertCa(tx, "intermediate", fresh.certificate(), fresh.stored(), fresh.algorithm(), CaState.PREPARED, rootId);
      cas.remember(id, fresh.key());
      bumpGeneration(tx, false);
      Outcome o = outcome(tx, "system", "ca.prepared", fresh.certificate().getSerialNumber(), Map.of("id", id,
          "notBefore", fresh.certificate().getNotBefore().toInstant().toString(),
          "notAfter", fresh.certificate().getNotAfter().toInstant().toString()));
      beforeCommit.accept("ca.prepared");
      return Optional.of(o);
    });
  }

  /** Makes {@code preparedId} the signer and retires {@code activeId}, if both are still so. */
  Optional<Outcome> activate(int activeId, int preparedId) {
    return journal.execute(tx -> {
      lock(tx);
      List<CaBootstrap.StoredCa> rows = cas.stored(tx.connection());
      Optional<CaBootstrap.StoredCa> active = find(rows, "intermediate", CaState.ACTIVE);
      Optional<CaBootstrap.StoredCa> prepared = find(rows, "intermediate", CaState.PREPARED);
      if (active.isEmpty() || active.get().id() != activeId || prepared.isEmpty() || prepared.get().id() != preparedId) {
        return Optional.<Outcome>empty();
      }
      setState(tx, activeId, CaState.RETIRED);
      setState(tx, preparedId, CaState.ACTIVE);
      switchRootIfNeeded(tx, rows, prepared.get());
      bumpGeneration(tx, false);
      Outcome o = outcome(tx, "system", "ca.activated", prepared.get().certificate().getSerialNumber(),
          Map.of("id", preparedId, "retired", activeId));
      beforeCommit.accept("ca.activated");
      return Optional.of(o);
    });
  }

  /**
   * Root rollover: a new root (certified by the current one through a cross-certificate) and an
   * intermediate under it are published in the bundle at once, as prepared; the intermediate takes
   * over on the schedule (or at the next taint), and the new root becomes the active one with it.
   * Until then nothing chains to the new root. The old root stays in the bundle until no
   * intermediate under it is in service. A successor prepared under the old root is withdrawn
   * (it signed nothing).
   */
  public Outcome rotateRoot(String actor) throws IOException {
    SigningCa oldRoot = activeRoot();
    CaBootstrap.NewRoot fresh = cas.newRoot(oldRoot);
    SigningCa newRootCa = new SigningCa(fresh.root().certificate(), fresh.root().key(), fresh.root().algorithm());
    CaBootstrap.NewCa intermediate = cas.newIntermediate(newRootCa);
    return journal.execute(tx -> {
      lock(tx);
      List<CaBootstrap.StoredCa> rows = cas.stored(tx.connection());
      if (find(rows, "root", CaState.PREPARED).isPresent()) {
        throw new RotorException(ErrorCode.CONFLICT, "a root rotation is already in progress; it completes when its intermediate takes over");
      }
      CaBootstrap.StoredCa current = find(rows, "root", CaState.ACTIVE)
          .orElseThrow(() -> new RotorException(ErrorCode.CONFLICT, "there is no active root"));
      if (!current.certificate().equals(oldRoot.certificate())) {
        throw new RotorException(ErrorCode.CONFLICT, "the root changed meanwhile; try again");
      }
      Optional<CaBootstrap.StoredCa> prepared = find(rows, "intermediate", CaState.PREPARED);
      if (prepared.isPresent()) {
        setState(tx, prepared.get().id(), CaState.REMOVED);
      }
      int rootId = cas.insertCa(tx, "root", fresh.root().certificate(), fresh.root().stored(), fresh.root().algorithm(),
          CaState.PREPARED, null);
      try (PreparedStatement ps = tx.connection().prepareStatement("UPDATE certificate_authorities SET cross_der = ? WHERE id = ?")) {
        ps.setBytes(1, fresh.cross().getEncoded());
        ps.setInt(2, rootId);
        ps.executeUpdate();
      }
      cas.remember(rootId, fresh.root().key());
      int intermediateId = cas.insertCa(tx, "intermediate", intermediate.certificate(), intermediate.stored(),
          intermediate.algorithm(), CaState.PREPARED, rootId);
      cas.remember(intermediateId, intermediate.key());
      bumpGeneration(tx, false);
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("root", rootId);
      details.put("previousRoot", current.id());
      details.put("intermediate", intermediateId);
      details.put("crossSerial", Serials.toHex(fresh.cross().getSerialNumber()));
      prepared.ifPresent(p -> details.put("withdrawn", p.id()));
      Outcome o = outcome(tx, actor, "ca.root.prepared", fresh.root().certificate().getSerialNumber(), details);
      beforeCommit.accept("ca.root.prepared");
      return o;
    });
  }

  /** When the intermediate taking over belongs to a prepared root, that root becomes the active one. */
  private void switchRootIfNeeded(Journal.Tx tx, List<CaBootstrap.StoredCa> rows, CaBootstrap.StoredCa incoming)
      throws SQLException, JsonProcessingException {
    if (incoming.parentId() == null) {
      return;
    }
    Optional<CaBootstrap.StoredCa> parent = rows.stream().filter(r -> r.id() == incoming.parentId()).findFirst();
    if (parent.isEmpty() || parent.get().state() != CaState.PREPARED) {
      return;
    }
    Optional<CaBootstrap.StoredCa> oldRoot = find(rows, "root", CaState.ACTIVE);
    if (oldRoot.isPresent()) {
      setState(tx, oldRoot.get().id(), CaState.RETIRED);
    }
    setState(tx, parent.get().id(), CaState.ACTIVE);
    outcome(tx, "system", "ca.root.activated", parent.get().certificate().getSerialNumber(),
        Map.of("id", parent.get().id(), "retired", oldRoot.map(CaBootstrap.StoredCa::id).orElse(-1)));
  }

  private Optional<Outcome> removeRootIfUnused(int rootId) {
    return journal.execute(tx -> {
      lock(tx);
      List<CaBootstrap.StoredCa> rows = cas.stored(tx.connection());
      Optional<CaBootstrap.StoredCa> root = rows.stream().filter(r -> r.id() == rootId && r.state() == CaState.RETIRED).findFirst();
      boolean inUse = rows.stream().anyMatch(r -> r.kind().equals("intermediate") && r.parentId() != null && r.parentId() == rootId);
      if (root.isEmpty() || inUse) {
        return Optional.<Outcome>empty();
      }
      setState(tx, rootId, CaState.REMOVED);
      bumpGeneration(tx, false);
      Outcome o = outcome(tx, "system", "ca.root.removed", root.get().certificate().getSerialNumber(), Map.of("id", rootId));
      beforeCommit.accept("ca.root.removed");
      return Optional.of(o);
    });
  }

  /**
   * Declares the active intermediate compromised: it becomes {@code tainted} (still in the bundle,
   * signing nothing) and the prepared one, or a new one, becomes the signer at once. The taint
   * generation moves, which the agents' revocation feed carries: every agent renews everything.
   */
  public Outcome taint(String actor) throws IOException {
    CaBootstrap.NewCa fresh = cas.newIntermediate(activeRoot());
    return journal.execute(tx -> {
      lock(tx);
      List<CaBootstrap.StoredCa> rows = cas.stored(tx.connection());
      CaBootstrap.StoredCa active = find(rows, "intermediate", CaState.ACTIVE)
          .orElseThrow(() -> new RotorException(ErrorCode.CONFLICT, "there is no active issuing CA"));
      if (!active.stored().held()) {
        throw new RotorException(ErrorCode.CONFLICT, "the issuing CA was imported; replace it with ROTOR_CA_CERT and ROTOR_CA_KEY");
      }
      Optional<CaBootstrap.StoredCa> prepared = find(rows, "intermediate", CaState.PREPARED);
      setState(tx, active.id(), CaState.TAINTED);
      int newId;
      java.math.BigInteger newSerial;
      if (prepared.isPresent()) {
        newId = prepared.get().id();
        newSerial = prepared.get().certificate().getSerialNumber();
        setState(tx, newId, CaState.ACTIVE);
        switchRootIfNeeded(tx, rows, prepared.get());
      } else {
        int rootId = find(rows, "root", CaState.ACTIVE).orElseThrow().id();
        newId = cas.insertCa(tx, "intermediate", fresh.certificate(), fresh.stored(), fresh.algorithm(), CaState.ACTIVE, rootId);
        cas.remember(newId, fresh.key());
        newSerial = fresh.certificate().getSerialNumber();
      }
      bumpGeneration(tx, true);
      Outcome o = outcome(tx, actor, "ca.tainted", active.certificate().getSerialNumber(),
          Map.of("tainted", active.id(), "active", newId, "activeSerial", Serials.toHex(newSerial)));
      beforeCommit.accept("ca.tainted");
      return o;
    });
  }

  /**
   * Removes a tainted intermediate from the bundle. Refused (409, with the count) while
   * certificates it signed are unexpired, unrevoked and not yet replaced by a certificate for the
   * same names from another CA, unless {@code force}.
   *
   * @param id the intermediate's id; empty = the one tainted intermediate
   */
  public Outcome revokeIntermediate(String actor, Optional<Integer> id, boolean force) throws SQLException {
    int target;
    if (id.isPresent()) {
      target = id.get();
    } else {
      List<CaBootstrap.StoredCa> tainted;
      try (Connection c = dataSource.getConnection()) {
        tainted = cas.stored(c).stream().filter(r -> r.state() == CaState.TAINTED).toList();
      }
      if (tainted.size() != 1) {
        throw new RotorException(ErrorCode.CONFLICT, tainted.isEmpty()
            ? "no intermediate is tainted; POST /api/v1/ca/taint first"
            : "several intermediates are tainted; name one with \"id\"");
      }
      target = tainted.get(0).id();
    }
    return remove(target, CaState.TAINTED, actor, "ca.intermediate.revoked", force)
        .orElseThrow(() -> new RotorException(ErrorCode.CONFLICT, "intermediate " + target + " is not tainted"));
  }

  private Optional<Outcome> remove(int id, CaState from, String actor, String action, boolean force) {
    return journal.execute(tx -> {
      lock(tx);
      Optional<CaBootstrap.StoredCa> row = cas.stored(tx.connection()).stream()
          .filter(r -> r.id() == id && r.kind().equals("intermediate") && r.state() == from).findFirst();
      if (row.isEmpty()) {
        return Optional.<Outcome>empty();
      }
      Instant now = tx.now();
      long outstanding;
      if (from == CaState.RETIRED) {
        Optional<Instant> last = lastLeafNotAfter(tx.connection(), id);
        if (!RotationSchedule.isRemovable(now, row.get().validity(), last)) {
          return Optional.<Outcome>empty();
        }
        outstanding = 0;
      } else {
        outstanding = unreplaced(tx.connection(), id, now);
        if (outstanding > 0 && !force) {
          throw new RotorException(ErrorCode.CONFLICT, outstanding + " unexpired certificates of intermediate " + id
              + " are not replaced yet; retry when the agents have renewed, or pass force=true");
        }
      }
      setState(tx, id, CaState.REMOVED);
      bumpGeneration(tx, false);
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("id", id);
      details.put("unreplaced", outstanding);
      details.put("forced", force && outstanding > 0);
      Outcome o = outcome(tx, actor, action, row.get().certificate().getSerialNumber(), details);
      beforeCommit.accept(action);
      return Optional.of(o);
    });
  }

  /** Unexpired, unrevoked certificates of {@code issuerId} with no later certificate for the same names from another CA. */
  private static long unreplaced(Connection c, int issuerId, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT count(*) FROM certificates o WHERE o.issuer_id = ? AND o.not_after > ? AND o.revoked_at IS NULL"
            + " AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.sans = o.sans AND n.issuer_id <> o.issuer_id"
            + " AND n.created_at >= o.created_at AND n.revoked_at IS NULL)")) {
      ps.setInt(1, issuerId);
      ps.setTimestamp(2, Timestamp.from(now));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private Optional<Instant> lastLeafNotAfter(int issuerId) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return lastLeafNotAfter(c, issuerId);
    }
  }

  private static Optional<Instant> lastLeafNotAfter(Connection c, int issuerId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT max(not_after) FROM certificates WHERE issuer_id = ?")) {
      ps.setInt(1, issuerId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Timestamp t = rs.getTimestamp(1);
        return t == null ? Optional.empty() : Optional.of(t.toInstant());
      }
    }
  }

  private SigningCa activeRoot() throws IOException {
    List<CaBootstrap.StoredCa> rows;
    try (Connection c = dataSource.getConnection()) {
      rows = cas.stored(c);
    } catch (SQLException e) {
      throw new RotorException(ErrorCode.UNAVAILABLE, "cannot read the CA rows", e);
    }
    CaBootstrap.StoredCa root = find(rows, "root", CaState.ACTIVE)
        .orElseThrow(() -> new RotorException(ErrorCode.CONFLICT, "there is no active root"));
    if (!root.stored().held()) {
      throw new RotorException(ErrorCode.CONFLICT, "the root was imported without its key; Rotor cannot sign a new intermediate");
    }
    return cas.signingCa(root);
  }

  private static Optional<CaBootstrap.StoredCa> find(List<CaBootstrap.StoredCa> rows, String kind, CaState state) {
    return rows.stream().filter(r -> r.kind().equals(kind) && r.state() == state).findFirst();
  }

  private static void lock(Journal.Tx tx) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement("SELECT generation FROM ca_rotation WHERE id = 1 FOR UPDATE")) {
      ps.executeQuery().close();
    }
  }

  private static void setState(Journal.Tx tx, int id, CaState state) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "UPDATE certificate_authorities SET state = ?, active = ?,"
            + " activated_at = CASE WHEN ? = 'active' THEN now() ELSE activated_at END,"
            + " tainted_at = CASE WHEN ? = 'tainted' THEN now() ELSE tainted_at END,"
            + " removed_at = CASE WHEN ? = 'removed' THEN now() ELSE removed_at END WHERE id = ?")) {
      ps.setString(1, state.wire());
      ps.setBoolean(2, state == CaState.ACTIVE);
      ps.setString(3, state.wire());
      ps.setString(4, state.wire());
      ps.setString(5, state.wire());
      ps.setInt(6, id);
      ps.executeUpdate();
    }
  }

  /** Moves the generation every replica polls (and the taint generation the agents follow). */
  static void bumpGeneration(Journal.Tx tx, boolean taint) throws SQLException {
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "UPDATE ca_rotation SET generation = generation + 1"
            + (taint ? ", taint_generation = taint_generation + 1" : "") + " WHERE id = 1")) {
      ps.executeUpdate();
    }
  }

  private Outcome outcome(Journal.Tx tx, String actor, String action, java.math.BigInteger serial, Map<String, Object> details)
      throws JsonProcessingException {
    tx.audit(actor, action, Serials.toHex(serial), json.writeValueAsString(details));
    log.info("ca transition action={} serial={} details={}", action, Serials.toHex(serial), details);
    return new Outcome(action, details);
  }
}
