package dev.rotor.agent.proxy;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS context of one listener, rebuilt when the agent renews the listener's identity (or the
 * trust bundle changes). A new context per certificate means new handshakes present the new
 * certificate at once and no session cached under the old one is resumed; open connections keep
 * the context they started with. Sessions are resumed within one context (the server's session
 * cache and tickets; the client's cache keyed by upstream host and port).
 */
final class TlsContexts {

  private record Built(X509Certificate leaf, List<X509Certificate> bundle, SslContext context) {}

  private final String identity;
  private final IdentitySource identities;
  private final PeerVerifier verifier;
  private final List<IdPattern> peers;
  private final boolean server;
  private final SslProvider provider;
  private final List<String> protocols;
  private final AtomicReference<Built> current = new AtomicReference<>();

  /**
   * @param identity the SPIFFE ID this side presents
   * @param peers the SPIFFE IDs accepted from the other side
   * @param server true for inbound (the peer is a client), false for outbound
   * @param provider BoringSSL (netty-tcnative) or the JDK's TLS
   * @param protocols the TLS versions enabled, e.g. {@code TLSv1.3}
   */
  TlsContexts(String identity, IdentitySource identities, PeerVerifier verifier, List<IdPattern> peers, boolean server,
      SslProvider provider, List<String> protocols) {
    this.identity = identity;
    this.identities = identities;
    this.verifier = verifier;
    this.peers = peers;
    this.server = server;
    this.provider = provider;
    this.protocols = List.copyOf(protocols);
  }

  /** The context for the identity's current certificate; null while the agent has none. */
  SslContext context() throws Exception {
    TlsIdentity id = identities.identity(identity).orElse(null);
    if (id == null) {
      return null;
    }
    List<X509Certificate> bundle = identities.bundle();
    Built b = current.get();
    // The bundle is compared by reference: the identity source replaces the list when it changes.
    if (b != null && b.bundle() == bundle && b.leaf().equals(id.leaf())) {
      return b.context();
    }
    Built fresh = new Built(id.leaf(), bundle, build(id));
    current.set(fresh);
    return fresh.context();
  }

  private SslContext build(TlsIdentity id) throws Exception {
    X509Certificate[] chain = id.chain().toArray(new X509Certificate[0]);
    SslContextBuilder b;
    if (server) {
      // OPTIONAL: a client without a certificate completes the handshake and is then refused
      // with its own reason (no_certificate) by the check on the established session.
      b = SslContextBuilder.forServer(id.key(), chain).clientAuth(ClientAuth.OPTIONAL);
    } else {
      // The upstream is identified by its SPIFFE ID (the trust manager), not by host name.
      b = SslContextBuilder.forClient().keyManager(id.key(), chain).endpointIdentificationAlgorithm(null);
    }
    // The CA names sent in the CertificateRequest are the bundle's at build time: a new bundle
    // builds a new context (see context()).
    return b.sslProvider(provider).trustManager(new Trust()).protocols(protocols).build();
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
