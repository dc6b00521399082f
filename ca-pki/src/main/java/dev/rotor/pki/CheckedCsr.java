package dev.rotor.pki;

import java.security.PublicKey;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * A CSR that passed {@link CsrChecker}: it parses, its self-signature verifies with an accepted
 * algorithm, its key is of an accepted type and strength, and its requested names are extracted.
 * Whether those names may be issued is {@link NamePolicy}'s decision, not this record's.
 *
 * @param der the CSR as received (callers must not modify the array)
 * @param publicKey the subject key, as a standard JDK key object
 * @param keyType the key's type
 * @param keyBits 256 or 384 for EC, 255 for Ed25519, the modulus length for RSA
 * @param subject the requested subject name (possibly empty)
 * @param names the subjectAltName entries of the extensionRequest attribute
 */
public record CheckedCsr(
    byte[] der, PublicKey publicKey, KeyType keyType, int keyBits, X500Name subject, SubjectNames names) {}
