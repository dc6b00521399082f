package dev.rotor.server.k8s;

/** What {@link CertificateRequestReconciler#sync} decided for one CertificateRequest. */
sealed interface Outcome {

  /** Not ours, not approved yet, or already finished: change nothing. */
  record Ignore(String why) implements Outcome {}

  /** Cannot proceed yet (issuer missing or not usable): {@code Ready=False/Pending}, look again later. */
  record Wait(String message) implements Outcome {}

  /** A passing problem (database down): nothing written, retried with backoff. */
  record Retry(String message) implements Outcome {}

  /** Signed (or found already signed): the base64 PEM chain and root to write into the status. */
  record Issued(String serial, String certificateBase64, String caBase64, boolean reused) implements Outcome {}

  /** A permanent problem with the request: {@code Ready=False/Failed}, {@code InvalidRequest=True}. */
  record Failed(String message) implements Outcome {}

  /** The request was denied by an approver: {@code Ready=False/Denied}. */
  record Denied(String message) implements Outcome {}
}
