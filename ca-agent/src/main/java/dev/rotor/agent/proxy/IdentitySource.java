package dev.rotor.agent.proxy;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Where the proxy gets certificates from: the agent, which keeps the identities named by the
 * proxy listeners fresh. Read at every handshake, so a renewed certificate is used at once.
 */
public interface IdentitySource {

  /** The current key and chain for a SPIFFE ID, or empty while the agent has none yet. */
  Optional<TlsIdentity> identity(String spiffeId);

  /** The current trust bundle (anchors peers must chain to). */
  List<X509Certificate> bundle();
}
