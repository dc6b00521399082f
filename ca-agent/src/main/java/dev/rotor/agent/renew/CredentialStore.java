package dev.rotor.agent.renew;

import dev.rotor.agent.api.Credentials;
import java.io.IOException;
import java.util.Optional;

/** Where the agent keeps its own key and certificate, so a restart re-uses a still-valid one. */
public interface CredentialStore {

  /** The stored credentials, if there are any that parse and match; expiry is the caller's business. */
  Optional<Credentials> load() throws IOException;

  /** Replaces the stored credentials; a crash leaves the old or the new, never a mix. */
  void save(Credentials credentials) throws IOException;
}
