package dev.rotor.server.ca;

/**
 * The CA hierarchy in force now. Every consumer reads it per request, so a rotation (on this
 * replica or another) takes effect without a restart.
 */
@FunctionalInterface
public interface ActiveCa {
  CertificateAuthority current();
}
