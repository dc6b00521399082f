package dev.rotor.agent.sink;

import dev.rotor.agent.api.ApiError;
import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.api.Csrs;
import dev.rotor.agent.api.Issued;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;

/** Makes a key on the node, has it signed, and checks the answer before any sink stores it. */
final class WorkloadIssuer {

  /** A new key (PKCS#8 PEM) with the certificate issued for it. */
  record NewCertificate(String keyPem, Issued issued) {}

  private final WorkloadSigner signer;

  WorkloadIssuer(WorkloadSigner signer) {
    this.signer = signer;
  }

  /** @param currentNotAfter when the certificate being replaced expires, or null */
  NewCertificate issue(CertificateCheck.Wanted wanted, Duration ttl, String target, Instant currentNotAfter)
      throws ApiError, PkiException {
    KeyPair keys = Csrs.newKeyPair();
    Issued issued = signer.sign(Csrs.csr(keys), wanted.spiffeId(), wanted.dnsNames(), ttl, target, currentNotAfter);
    if (!PrivateKeys.matches(issued.leaf().getPublicKey(), keys.getPrivate())) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the server signed a different key");
    }
    String id = Credentials.spiffeIdOf(issued.leaf()).orElse(null);
    if (!wanted.spiffeId().equals(id)) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the server issued " + id + " instead of " + wanted.spiffeId());
    }
    return new NewCertificate(PrivateKeys.toPem(keys.getPrivate()), issued);
  }
}
