package dev.rotor.server.issuance;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;

/**
 * A signed and durably recorded certificate.
 *
 * @param chainPem the leaf followed by the issuing intermediate
 */
public record IssuedCertificate(
    BigInteger serial,
    String serialHex,
    byte[] der,
    String certificatePem,
    String chainPem,
    Instant notBefore,
    Instant notAfter,
    List<String> sans,
    String profile) {}
