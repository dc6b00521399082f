package dev.rotor.agent.proxy;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A workload's key and certificate chain (leaf first), as the agent currently holds them. */
public record TlsIdentity(PrivateKey key, List<X509Certificate> chain) {

  public TlsIdentity {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a certificate chain needs at least the leaf");
    }
    chain = List.copyOf(chain);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }
}
