package dev.rotor.pki;

/** The subject key types a CSR may carry (and a {@link Profile} may allow). */
public enum KeyType {
  /** ECDSA on NIST P-256 (secp256r1). */
  EC_P256,
  /** ECDSA on NIST P-384 (secp384r1). */
  EC_P384,
  /** Ed25519 (RFC 8410). */
  ED25519,
  /** RSA, 2048 to 8192 bits. */
  RSA
}
