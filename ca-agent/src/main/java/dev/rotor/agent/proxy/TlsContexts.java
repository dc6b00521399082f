package dev.rotor.agent.proxy;

import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The SSL context of one listener, rebuilt when the agent renews the listener's identity. A new
 * context per certificate means new handshakes present the new certificate at once and no session
 * cached under the old one is resumed; open connections keep the context they started with.
 */
final class TlsContexts {

  private record Built(X509Certificate leaf, SSLContext context) {}

  private final String identity;
  private final IdentitySource identities;
  private final PeerVerifier verifier;
  private final List<IdPattern> peers;
  private final boolean server;
  private final AtomicReference<Built> current = new AtomicReference<>();

  /**
   * @param identity the SPIFFE ID this side presents
   * @param peers the SPIFFE IDs accepted from the other side
   * @param server true for inbound (the peer is a client), false for outbound
   */
  TlsContexts(String identity, IdentitySource identities, PeerVerifier verifier, List<IdPattern> peers, boolean server) {
    this.identity = identity;
    this.identities = identities;
    this.verifier = verifier;
    this.peers = peers;
    this.server = server;
  }

  /** The context for the identity's current certificate; null while the agent has none. */
  SSLContext context() throws Exception {
    TlsIdentity id = identities.identity(identity).orElse(null);
    if (id == null) {
      return null;
    }
    Built b = current.get();
    if (b != null && b.leaf().equals(id.leaf())) {
      return b.context();
    }
    Built fresh = new Built(id.leaf(), build(id));
    current.set(fresh);
    return fresh.context();
  }

  private SSLContext build(TlsIdentity id) throws Exception {
    char[] pw = "rotor-proxy".toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("identity", id.key(), pw, id.chain().toArray(new X509Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, pw);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), new X509ExtendedTrustManager[] {new Trust()}, null);
    return ctx;
  }

  /** Delegates every decision to the {@link PeerVerifier} (refusals carry their reason). */
  private final class Trust extends X509ExtendedTrustManager {

    private void check(X509Certificate[] chain, boolean peerIsClient) throws CertificateException {
      if (peerIsClient != server) {
        throw new CertificateException("unexpected direction");
      }
      verifier.verify(chain, peers);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain, true);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain, false);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      check(chain, true);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      check(chain, false);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain, true);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain, false);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return identities.bundle().toArray(new X509Certificate[0]);
    }
  }
}
