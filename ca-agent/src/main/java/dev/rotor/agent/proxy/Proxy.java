package dev.rotor.agent.proxy;

import dev.rotor.pki.CryptoProviders;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data-plane proxy: one accept loop per listener, one virtual thread per direction of each
 * connection. Inbound listeners terminate mTLS and forward to a local backend; outbound listeners
 * take local plaintext and originate mTLS. Every peer is checked by {@link PeerVerifier} in the
 * handshake and again on the established session (a resumed session skips the trust manager), and
 * connections whose peer is revoked later are closed.
 */
public final class Proxy implements Closeable {

  private static final Logger log = LoggerFactory.getLogger(Proxy.class);
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  /**
   * Copy buffers start small and double (to one TLS record's worth) only when a read fills them:
   * request/response traffic of small messages never needs more than the first size, and at 1,000
   * connections through two hops the proxy holds 4,000 of them (64 MiB of heap at a fixed 16 KiB,
   * 8 MiB at 2 KiB, 2 MiB at 512 bytes). A connection that carries bigger messages reaches 16 KiB
   * after five full reads.
   */
  private static final int MIN_BUFFER = 512;
  private static final int MAX_BUFFER = 16 * 1024;

  private static Thread thread(String name, Runnable r) {
    return Thread.ofVirtual().name(name).start(r);
  }

  private final ProxyConfig config;
  private final IdentitySource identities;
  private final PeerVerifier verifier;
  private final ProxyMetrics metrics;
  private final List<ServerSocket> servers = new ArrayList<>();
  private final List<Thread> acceptors = new ArrayList<>();
  /** Open connections by the serial of their peer's certificate. */
  private final Map<String, Set<Conn>> byPeerSerial = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record Conn(String listener, Closeable a, Closeable b) {
    void close() {
      closeQuietly(a);
      closeQuietly(b);
    }
  }

  public Proxy(ProxyConfig config, IdentitySource identities, RevocationSet revoked, ProxyMetrics metrics, Clock clock) {
    this.config = config;
    this.identities = identities;
    this.verifier = new PeerVerifier(identities, revoked, clock);
    this.metrics = metrics;
    revoked.onChange(this::closeRevoked);
  }

  /** Binds every listener (failing fast if a port is taken) and starts accepting. */
  public Proxy start() throws IOException {
    // TLS records are sealed and opened by AWS-LC (ACCP) where it loads, as on the server: the
    // record layer is the proxy's main cost, and this is the set-up rotor-load proxy measures.
    CryptoProviders.installForTls();
    try {
      for (ProxyConfig.Inbound in : config.inbound()) {
        ServerSocket ss = bind(in.listen());
        TlsContexts tls = new TlsContexts(in.identity(), identities, verifier, in.allow(), true);
        acceptors.add(Thread.ofPlatform().name("rotor-proxy-" + in.name()).daemon(true)
            .start(() -> accept(ss, in.name(), s -> inbound(s, in, tls))));
      }
      for (ProxyConfig.Outbound out : config.outbound()) {
        ServerSocket ss = bind(out.listen());
        TlsContexts tls = new TlsContexts(out.identity(), identities, verifier, out.expect(), false);
        acceptors.add(Thread.ofPlatform().name("rotor-proxy-" + out.name()).daemon(true)
            .start(() -> accept(ss, out.name(), s -> outbound(s, out, tls))));
      }
    } catch (IOException e) {
      close();
      throw e;
    }
    return this;
  }

  /** The port a listener is bound to (useful with port 0). */
  public int port(String listener) {
    int i = 0;
    for (ProxyConfig.Inbound in : config.inbound()) {
      if (in.name().equals(listener)) {
        return servers.get(i).getLocalPort();
      }
      i++;
    }
    for (ProxyConfig.Outbound out : config.outbound()) {
      if (out.name().equals(listener)) {
        return servers.get(i).getLocalPort();
      }
      i++;
    }
    throw new IllegalArgumentException("no listener " + listener);
  }

  private ServerSocket bind(ProxyConfig.HostPort hp) throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    try {
      ss.bind(new InetSocketAddress(hp.host(), hp.port()), 1024);
    } catch (IOException e) {
      ss.close();
      throw new IOException("proxy: cannot listen on " + hp + ": " + e.getMessage(), e);
    }
    servers.add(ss);
    return ss;
  }

  private interface Handler {
    void handle(Socket s) throws Exception;
  }

  private void accept(ServerSocket ss, String listener, Handler handler) {
    while (!closed) {
      Socket s;
      try {
        s = ss.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("proxy accept failed listener={} error={}", listener, e.toString());
        }
        continue;
      }
      thread("rotor-proxy-conn", () -> {
        try {
          handler.handle(s);
        } catch (Exception e) {
          log.debug("proxy connection ended listener={} error={}", listener, e.toString());
        } finally {
          closeQuietly(s);
        }
      });
    }
  }

  private void inbound(Socket raw, ProxyConfig.Inbound in, TlsContexts tls) throws Exception {
    raw.setTcpNoDelay(true);
    String peerAddr = String.valueOf(raw.getRemoteSocketAddress());
    SSLContext ctx = tls.context();
    if (ctx == null) {
      deny(in.name(), DenyReason.NO_LOCAL_IDENTITY, peerAddr, "no certificate yet for " + in.identity());
      return;
    }
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, null, raw.getPort(), true);
    s.setUseClientMode(false);
    s.setWantClientAuth(true); // absence is refused below with its own reason
    s.setEnabledProtocols(config.tlsVersions().toArray(new String[0]));
    Handshake h = handshake(s, in.name(), peerAddr);
    if (h == null) {
      return;
    }
    Socket backend = new Socket();
    try {
      backend.setTcpNoDelay(true);
      backend.connect(new InetSocketAddress(in.backend().host(), in.backend().port()), CONNECT_TIMEOUT_MS);
    } catch (IOException e) {
      closeQuietly(backend);
      deny(in.name(), DenyReason.BACKEND_UNREACHABLE, peerAddr, in.backend() + ": " + e.getMessage());
      return;
    }
    String xfcc = in.http() ? "By=" + in.identity() + ";Hash=" + sha256(h.peerLeaf()) + ";URI=" + h.peerId() : null;
    pump(in.name(), s, backend, h, xfcc);
  }

  private void outbound(Socket local, ProxyConfig.Outbound out, TlsContexts tls) throws Exception {
    local.setTcpNoDelay(true);
    SSLContext ctx = tls.context();
    String peerAddr = out.upstream().toString();
    if (ctx == null) {
      deny(out.name(), DenyReason.NO_LOCAL_IDENTITY, peerAddr, "no certificate yet for " + out.identity());
      return;
    }
    Socket raw = new Socket();
    try {
      raw.setTcpNoDelay(true);
      raw.connect(new InetSocketAddress(out.upstream().host(), out.upstream().port()), CONNECT_TIMEOUT_MS);
    } catch (IOException e) {
      closeQuietly(raw);
      deny(out.name(), DenyReason.BACKEND_UNREACHABLE, peerAddr, e.getMessage());
      return;
    }
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, out.upstream().host(), out.upstream().port(), true);
    s.setUseClientMode(true);
    s.setEnabledProtocols(config.tlsVersions().toArray(new String[0]));
    Handshake h = handshake(s, out.name(), peerAddr);
    if (h == null) {
      closeQuietly(s);
      return;
    }
    pump(out.name(), s, local, h, null);
  }

  private record Handshake(String peerId, X509Certificate peerLeaf, String serial) {}

  /** Runs the handshake under the timeout and re-checks the peer; null (counted and logged) when refused. */
  private Handshake handshake(SSLSocket s, String listener, String peerAddr) throws IOException {
    Timer.Sample sample = Timer.start();
    s.setSoTimeout((int) config.handshakeTimeout().toMillis());
    try {
      s.startHandshake();
    } catch (SocketTimeoutException e) {
      deny(listener, DenyReason.HANDSHAKE_TIMEOUT, peerAddr, "no handshake within " + config.handshakeTimeout());
      return null;
    } catch (IOException e) {
      PeerRejected r = PeerRejected.in(e);
      deny(listener, r == null ? DenyReason.HANDSHAKE_FAILED : r.reason(), peerAddr, r == null ? e.getMessage() : r.getMessage());
      return null;
    }
    sample.stop(metrics.handshake(listener));
    X509Certificate[] peer;
    try {
      Certificate[] certs = s.getSession().getPeerCertificates();
      peer = new X509Certificate[certs.length];
      for (int i = 0; i < certs.length; i++) {
        peer[i] = (X509Certificate) certs[i];
      }
    } catch (SSLPeerUnverifiedException e) {
      peer = null;
    }
    String id;
    try {
      // Again on the established session: a resumed handshake does not consult the trust manager.
      id = verifier.verify(peer, patterns(listener));
    } catch (PeerRejected r) {
      deny(listener, r.reason(), peerAddr, r.getMessage());
      return null;
    }
    s.setSoTimeout(0);
    metrics.allowed(listener);
    return new Handshake(id, peer[0], PeerVerifier.serial(peer[0]));
  }

  private List<IdPattern> patterns(String listener) {
    for (ProxyConfig.Inbound in : config.inbound()) {
      if (in.name().equals(listener)) {
        return in.allow();
      }
    }
    for (ProxyConfig.Outbound out : config.outbound()) {
      if (out.name().equals(listener)) {
        return out.expect();
      }
    }
    return List.of();
  }

  /**
   * Copies both ways until both directions end. {@code tls} is the mTLS side, {@code plain} the
   * backend (inbound) or the local client (outbound).
   */
  private void pump(String listener, SSLSocket tls, Socket plain, Handshake h, String xfcc) throws InterruptedException {
    Conn conn = new Conn(listener, tls, plain);
    byPeerSerial.computeIfAbsent(h.serial(), k -> ConcurrentHashMap.newKeySet()).add(conn);
    AtomicInteger open = metrics.open(listener);
    open.incrementAndGet();
    Counter fromTls = metrics.bytes(listener, "from_tls");
    Counter toTls = metrics.bytes(listener, "to_tls");
    try {
      Thread back = thread("rotor-proxy-pump", () -> copy(plain, tls, toTls, conn));
      try {
        if (xfcc != null) {
          HttpRequestStream http = new HttpRequestStream(tls.getInputStream(), plain.getOutputStream(), xfcc);
          try {
            http.run();
          } finally {
            fromTls.increment(http.copied());
          }
          plain.shutdownOutput();
        } else {
          copy(tls, plain, fromTls, null);
          plain.shutdownOutput();
        }
      } catch (IOException e) {
        conn.close();
      }
      back.join();
    } finally {
      open.decrementAndGet();
      conn.close();
      Set<Conn> set = byPeerSerial.get(h.serial());
      if (set != null) {
        set.remove(conn);
        if (set.isEmpty()) {
          byPeerSerial.remove(h.serial(), set);
        }
      }
    }
  }

  /** Copies {@code from} → {@code to}; at the end closes {@code whenDone} (the other direction cannot continue without it). */
  private static void copy(Socket from, Socket to, Counter bytes, Conn whenDone) {
    byte[] buf = new byte[MIN_BUFFER];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        bytes.increment(n);
        if (n == buf.length && buf.length < MAX_BUFFER) {
          buf = new byte[buf.length * 2];
        }
      }
    } catch (IOException e) {
      // the connection ended; the other side is closed below
    } finally {
      if (whenDone != null) {
        whenDone.close();
      }
    }
  }

  private void closeRevoked(Set<String> revokedSerials) {
    for (String serial : revokedSerials) {
      Set<Conn> conns = byPeerSerial.remove(serial);
      if (conns == null) {
        continue;
      }
      for (Conn c : conns) {
        log.info("proxy closing connection listener={} reason=revoked serial={}", c.listener(), serial);
        metrics.closedRevoked(c.listener());
        c.close();
      }
    }
  }

  private void deny(String listener, DenyReason reason, String peer, String detail) {
    metrics.denied(listener, reason);
    log.info("proxy denied listener={} peer={} reason={} detail=\"{}\"", listener, peer, reason.label(), detail);
  }

  private static String sha256(X509Certificate cert) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    servers.forEach(Proxy::closeQuietly);
    for (Set<Conn> set : byPeerSerial.values()) {
      set.forEach(Conn::close);
    }
    byPeerSerial.clear();
  }

  /** Used by tests and logs: the listener names and where they listen. */
  @Override
  public String toString() {
    return "Proxy" + config.inbound().stream().map(ProxyConfig.Inbound::name).toList()
        + config.outbound().stream().map(ProxyConfig.Outbound::name).toList();
  }

}
