/**
 * Pure PKI for Rotor: key pairs, CSR parsing and checks, certificate profiles and name policy,
 * X.509 building (CA and leaf), PEM, SPIFFE IDs, CRL and OCSP encoding. No I/O, no HTTP, no
 * database: every function here depends only on its arguments (times are passed in as instants,
 * never read from a clock); the only hidden input is {@link java.security.SecureRandom} for keys,
 * serials, salts and signatures.
 *
 * <p>All refusals of bad input are {@link dev.rotor.pki.PkiException}s carrying a
 * {@link dev.rotor.pki.PkiException.Problem}; programming errors (a template that breaks the
 * profile, a key pair that does not match its algorithm) are {@link IllegalArgumentException}s.
 */
package dev.rotor.pki;
