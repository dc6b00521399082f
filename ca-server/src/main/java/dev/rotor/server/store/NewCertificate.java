package dev.rotor.server.store;

import java.time.Instant;
import java.util.List;

/** A freshly signed certificate, to be recorded. {@code serial} is lower-case hex. */
public record NewCertificate(
    String serial,
    int issuerId,
    String profile,
    String channel,
    String requester,
    String subject,
    List<String> sans,
    Instant notBefore,
    Instant notAfter,
    byte[] der) {}
