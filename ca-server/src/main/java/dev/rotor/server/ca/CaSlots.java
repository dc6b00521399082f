package dev.rotor.server.ca;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live CA reference of one replica: a volatile snapshot every consumer reads per request.
 *
 * <p>Every {@code poll} it reads {@code ca_rotation}: when the generation moved (a transition
 * committed here or on another replica) it reloads the CA rows and swaps the snapshot. It also
 * takes or renews the rotation lease (a row with holder and expiry, 3 polls long, decided by
 * PostgreSQL's clock); the holder runs {@link CaRotation#tick()}. Without a rotation (an imported
 * CA) the snapshot never changes.
 */
public final class CaSlots implements ActiveCa, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CaSlots.class);

  private final CaBootstrap cas;
  private final Optional<CaRotation> rotation;
  private final DataSource dataSource;
  private final Duration poll;
  private final String holder = UUID.randomUUID().toString();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().name("rotor-ca-slots").daemon(true).unstarted(r));
  private final java.util.List<Consumer<CertificateAuthority>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile CertificateAuthority current;
  private volatile boolean leader;

  public CaSlots(CaBootstrap cas, CertificateAuthority initial, Optional<CaRotation> rotation, DataSource dataSource, Duration poll) {
    this.cas = cas;
    this.current = initial;
    this.rotation = rotation;
    this.dataSource = dataSource;
    this.poll = poll;
  }

  /** Starts polling (only with a rotation; an imported CA is fixed). */
  public CaSlots start() {
    if (rotation.isPresent()) {
      timer.scheduleWithFixedDelay(this::pollOnce, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    }
    return this;
  }

  @Override
  public CertificateAuthority current() {
    return current;
  }

  /** Called with each new snapshot (on the polling thread). */
  public void onChange(Consumer<CertificateAuthority> listener) {
    listeners.add(listener);
  }

  /** Whether this replica holds the rotation lease. */
  public boolean isLeader() {
    return leader;
  }

  /** Reloads now if the stored generation differs from the snapshot's (also after a local transition). */
  public void refresh() {
    try {
      long generation;
      try (Connection c = dataSource.getConnection();
           PreparedStatement ps = c.prepareStatement("SELECT generation FROM ca_rotation WHERE id = 1");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        generation = rs.getLong(1);
      }
      if (generation != current.generation()) {
        reload();
      }
    } catch (Exception e) {
      log.warn("ca state read failed error={}", e.toString());
    }
  }

  private synchronized void reload() throws Exception {
    CertificateAuthority fresh = cas.load();
    if (fresh.generation() == current.generation()) {
      return;
    }
    CertificateAuthority old = current;
    current = fresh;
    log.info("ca snapshot changed generation={} issuerId={} bundle={} previousIssuerId={}", fresh.generation(), fresh.issuerId(),
        fresh.bundle().size(), old.issuerId());
    for (Consumer<CertificateAuthority> l : listeners) {
      try {
        l.accept(fresh);
      } catch (RuntimeException e) {
        log.warn("ca change listener failed error={}", e.toString());
      }
    }
  }

  private void pollOnce() {
    try {
      leader = takeLease();
      if (leader) {
        rotation.get().tick();
      }
    } catch (Exception e) {
      log.warn("ca rotation step failed error={}", e.toString());
    }
    refresh();
  }

  private boolean takeLease() throws Exception {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "UPDATE ca_rotation SET lease_holder = ?, lease_expires = now() + make_interval(secs => ?)"
                 + " WHERE id = 1 AND (lease_holder = ? OR lease_holder IS NULL OR lease_expires < now())")) {
      ps.setString(1, holder);
      ps.setDouble(2, poll.toMillis() * 3 / 1000.0);
      ps.setString(3, holder);
      return ps.executeUpdate() == 1;
    }
  }

  /** Stops polling and gives the lease up, so another replica takes over at its next poll. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (rotation.isPresent()) {
      try (Connection c = dataSource.getConnection();
           PreparedStatement ps = c.prepareStatement("UPDATE ca_rotation SET lease_holder = NULL, lease_expires = NULL WHERE id = 1 AND lease_holder = ?")) {
        ps.setString(1, holder);
        ps.executeUpdate();
      } catch (Exception e) {
        log.debug("lease release failed error={}", e.toString());
      }
    }
  }

  /** The transitions this replica may run; empty for an imported CA. */
  public Optional<CaRotation> rotation() {
    return rotation;
  }
}
