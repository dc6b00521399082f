/**
 * Pure PKI for Rotor: key pairs, CSR parsing and checks, certificate profiles and name policy,
 * X.509 building (CA and leaf), PEM, SPIFFE IDs, CRL and OCSP encoding. No I/O, no HTTP, no
 * database: every function here depends only on its arguments (and an explicit clock or instant).
 */
package dev.rotor.pki;
