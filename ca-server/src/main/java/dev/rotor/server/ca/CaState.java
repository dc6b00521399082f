package dev.rotor.server.ca;

import java.util.Locale;

/**
 * Where a CA certificate is in its life (column {@code certificate_authorities.state}).
 *
 * <p>Intermediates: {@link #PREPARED} (published in the trust bundle, not signing yet) →
 * {@link #ACTIVE} (signs every new certificate) → {@link #RETIRED} (still in the bundle, signs
 * nothing, until the last certificate it signed has expired) → {@link #REMOVED}. A compromised
 * intermediate is {@link #TAINTED}: still in the bundle so that nothing fails while its leaves are
 * replaced, until {@code revoke-intermediate} removes it.
 */
public enum CaState {
  PREPARED, ACTIVE, RETIRED, TAINTED, REMOVED;

  /** The column value. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static CaState of(String wire) {
    return valueOf(wire.toUpperCase(Locale.ROOT));
  }

  /** Whether certificates of a CA in this state are published in the trust bundle. */
  public boolean inBundle() {
    return this != REMOVED;
  }
}
