package dev.rotor.server.api;

/** An authenticated caller: {@code name} is how it appears in records and the audit log ({@code token:<name>}). */
public record Principal(String name, Role role) {}
