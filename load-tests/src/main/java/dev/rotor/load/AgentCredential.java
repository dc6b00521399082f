package dev.rotor.load;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One agent certificate with its key, and the TLS client settings that present it.
 *
 * <p>Each credential has its own {@link SSLContext}, hence its own client session cache: a
 * reconnect with the same certificate resumes the TLS session, while the first connection after a
 * renewal is a full handshake that presents the new certificate. (A TLS 1.3 resumption carries the
 * authentication of the original handshake, RFC 8446 §4.6.1, and the server sends no
 * CertificateRequest in it, §4.3.2; resuming across a renewal would keep the old certificate.)
 *
 * <p>The credential is the Jetty request tag, so each one is its own destination with its own
 * one-connection pool (see {@link FleetClient}).
 *
 * @param agent index of the agent
 * @param generation 0 for the attested certificate, +1 per renewal
 * @param receivedAt when the certificate arrived
 */
record AgentCredential(int agent, int generation, PrivateKey key, List<X509Certificate> chain,
    Instant receivedAt, Instant notAfter, SslContextFactory.Client tls) {

  private static final String ALIAS = "agent";

  /**
   * Builds the credential's TLS settings: trust from {@code trust}, server host name checked
   * (RFC 2818), and a key manager that offers only this certificate and tells
   * {@code fullHandshakes} each engine it was asked on (asked only in a full handshake).
   */
  static AgentCredential of(int agent, int generation, PrivateKey key, List<X509Certificate> chain,
      TrustManager[] trust, Set<SSLEngine> fullHandshakes) throws GeneralSecurityException {
    X509Certificate[] certs = chain.toArray(X509Certificate[]::new);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {new SingleKey(key, certs, fullHandshakes)}, trust, null);
    return new AgentCredential(agent, generation, key, List.copyOf(chain), Instant.now(),
        chain.getFirst().getNotAfter().toInstant(), new Tls(context));
  }

  /**
   * The lifetime as the agent sees it: from arrival to notAfter. Not from notBefore: the server
   * backdates notBefore by 30 s for clock skew, which for a short certificate (seconds, in tests)
   * would put the half-life point at or before issuance and renew it in a loop.
   */
  Duration lifetime() {
    return Duration.between(receivedAt, notAfter);
  }

  /**
   * When this certificate is renewed: at {@link FleetPlan#RENEW_AT} of its lifetime, moved by
   * {@code jitter} (a fraction, ±0.1 for the agent's ±10%) of that point.
   */
  Instant renewAt(double jitter) {
    long half = (long) (lifetime().toNanos() * FleetPlan.RENEW_AT * (1 + jitter));
    return receivedAt.plusNanos(half);
  }

  @Override
  public String toString() {
    return "agent " + agent + " generation " + generation + " until " + notAfter;
  }

  /**
   * Jetty's client-side TLS settings over a ready {@link SSLContext}. Never started: Jetty only
   * asks it for engines, and starting ten thousand factories would rebuild ten thousand contexts.
   */
  private static final class Tls extends SslContextFactory.Client {
    private final SSLContext context;

    Tls(SSLContext context) {
      this.context = context;
    }

    @Override
    public SSLEngine newSSLEngine(String host, int port) {
      SSLEngine engine = context.createSSLEngine(host, port);
      SSLParameters params = engine.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      engine.setSSLParameters(params);
      return engine;
    }

    @Override
    public SSLEngine newSSLEngine() {
      throw new UnsupportedOperationException("an agent engine needs the server's host and port");
    }
  }

  /** Offers one key and chain for client authentication, and nothing as a server. */
  private static final class SingleKey extends X509ExtendedKeyManager {
    private final PrivateKey key;
    private final X509Certificate[] chain;
    private final Set<SSLEngine> fullHandshakes;

    SingleKey(PrivateKey key, X509Certificate[] chain, Set<SSLEngine> fullHandshakes) {
      this.key = key;
      this.chain = chain;
      this.fullHandshakes = fullHandshakes;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      fullHandshakes.add(engine);
      return ALIAS;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return ALIAS.equals(alias) ? key : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return null;
    }
  }
}
