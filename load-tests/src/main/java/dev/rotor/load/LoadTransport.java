package dev.rotor.load;

/**
 * Sends one issuance request without blocking the caller and reports how it ended. Implementations
 * keep at most as many keep-alive HTTP/1.1 connections as there are outstanding requests.
 */
interface LoadTransport extends AutoCloseable {

  /** Called once per request, on a transport thread. */
  @FunctionalInterface
  interface Outcome {
    /**
     * @param status HTTP status, or 0 when no response arrived
     * @param body response body (empty when none)
     * @param failure transport failure, or null when a complete response arrived
     */
    void completed(int status, byte[] body, Throwable failure);
  }

  /** POSTs {@code body} (JSON) to the issuance endpoint. */
  void post(byte[] body, Outcome outcome);

  /** Runs {@code task} on one of the transport's threads (used to break recursion on errors). */
  void execute(Runnable task);

  @Override
  void close() throws Exception;
}
