package dev.rotor.agent.attest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One way to bootstrap: the {@code method} and {@code token} of {@code POST /agent/v1/attest}. */
public sealed interface Attestation {

  /** The wire name of the method ({@code k8s} or {@code join}). */
  String method();

  /** The token to send now; never logged. */
  String token() throws IOException;

  /**
   * Whether another attempt with the same token can succeed after a 401. A join token is
   * single-use: once consumed, only an operator's new token helps.
   */
  boolean isReusable();

  /** A projected ServiceAccount token (audience {@code rotor}), read from its file at each attempt. */
  record ServiceAccountToken(Path file) implements Attestation {
    @Override
    public String method() {
      return "k8s";
    }

    @Override
    public String token() throws IOException {
      String t = Files.readString(file).trim();
      if (t.isEmpty()) {
        throw new IOException("the ServiceAccount token file " + file + " is empty");
      }
      return t;
    }

    @Override
    public boolean isReusable() {
      return true;
    }

    @Override
    public String toString() {
      return "ServiceAccountToken[" + file + "]";
    }
  }

  /** A join token created by an operator with {@code POST /api/v1/join-tokens}. */
  record JoinToken(String value) implements Attestation {
    @Override
    public String method() {
      return "join";
    }

    @Override
    public String token() {
      return value;
    }

    @Override
    public boolean isReusable() {
      return false;
    }

    @Override
    public String toString() {
      return "JoinToken[***]";
    }
  }
}
