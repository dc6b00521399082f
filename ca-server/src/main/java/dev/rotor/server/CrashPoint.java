package dev.rotor.server;

import java.util.Locale;

/**
 * Points where the fault-injection tests make the process die as {@code kill -9} would
 * ({@link Runtime#halt}: no shutdown hooks, no flushing, no graceful close of connections).
 *
 * <p>Off unless the JVM was started with the system property {@code rotor.test.crashAt} set to a
 * point's wire name, optionally with {@code :n} to die at its n-th passage (default 1):
 * {@code -Drotor.test.crashAt=after-sign:20}. The property is read once, at class load, and only
 * here. It is deliberately not a {@code ROTOR_*} key: nothing in the configuration file, the
 * environment or any API reaches it, so a production server cannot be made to crash through it;
 * only whoever writes the JVM's command line can, and they can kill the process anyway.
 * Used by {@code CrashConsistencyIT}, which runs the server in a separate JVM.
 */
public enum CrashPoint {
  /** The issuance pre-record (serial + TBS) committed; nothing signed yet. */
  AFTER_PRERECORD("after-prerecord"),
  /** The certificate is signed; its final record is not written. */
  AFTER_SIGN("after-sign"),
  /** The final record and audit entry committed; the response is not sent. */
  AFTER_FINAL_COMMIT("after-final-commit"),
  /** A revocation committed; the response is not sent. */
  AFTER_REVOCATION_COMMIT("after-revocation-commit");

  /** The exit status of an injected crash, as a process killed by SIGKILL reports it. */
  public static final int EXIT_STATUS = 137;

  private static final CrashPoint ARMED;
  private static final long AT_PASSAGE;
  private static final java.util.concurrent.atomic.AtomicLong passages = new java.util.concurrent.atomic.AtomicLong();

  static {
    String spec = System.getProperty("rotor.test.crashAt");
    CrashPoint armed = null;
    long at = 1;
    if (spec != null && !spec.isBlank()) {
      String[] parts = spec.trim().toLowerCase(Locale.ROOT).split(":", 2);
      for (CrashPoint p : values()) {
        if (p.wire.equals(parts[0])) {
          armed = p;
        }
      }
      if (armed == null) {
        throw new IllegalStateException("rotor.test.crashAt: unknown crash point " + parts[0]);
      }
      if (parts.length == 2) {
        at = Long.parseLong(parts[1]);
      }
      System.err.println("rotor: fault injection armed: halt at " + armed.wire + " passage " + at);
    }
    ARMED = armed;
    AT_PASSAGE = at;
  }

  private final String wire;

  CrashPoint(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** Halts the JVM here when this point is armed and this is the chosen passage; otherwise nothing. */
  public void reached() {
    if (ARMED == this && passages.incrementAndGet() == AT_PASSAGE) {
      System.err.println("rotor: fault injection: halting at " + wire);
      Runtime.getRuntime().halt(EXIT_STATUS);
    }
  }
}
