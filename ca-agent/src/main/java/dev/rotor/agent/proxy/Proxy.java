package dev.rotor.agent.proxy;

import dev.rotor.pki.CryptoProviders;
import io.micrometer.core.instrument.Timer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data-plane proxy on Netty: a few event loops (one per core, epoll where it loads) serve
 * every listener, with TLS from BoringSSL (netty-tcnative) where it loads and the JDK's otherwise
 * — the shape nginx has. Inbound listeners terminate mTLS and forward to a local backend;
 * outbound listeners take local plaintext and originate mTLS. Every peer is checked by
 * {@link PeerVerifier} in the handshake and again on the established session (a resumed session
 * skips the trust manager), and connections whose peer is revoked later are closed.
 *
 * <p>Per connection the proxy holds two channels and the TLS engine, and no copy buffer: bytes
 * are read into pooled direct buffers and handed to the other channel, and a side stops reading
 * while the other cannot take more (back-pressure by writability, Netty's HexDumpProxy pattern).
 */
public final class Proxy implements Closeable {

  private static final Logger log = LoggerFactory.getLogger(Proxy.class);
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final AtomicBoolean announced = new AtomicBoolean();

  /** BoringSSL when netty-tcnative loads on this platform, the JDK's TLS otherwise. */
  static SslProvider defaultProvider() {
    return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  private final ProxyConfig config;
  private final IdentitySource identities;
  private final PeerVerifier verifier;
  private final ProxyMetrics metrics;
  private final RevocationSet revoked;
  private final SslProvider provider;
  private final List<Channel> servers = new ArrayList<>();
  /** Open connections by the serial of their peer's certificate. */
  private final Map<String, Set<Conn>> byPeerSerial = new ConcurrentHashMap<>();
  private EventLoopGroup group;
  private boolean epoll;

  /** A relayed connection: the mTLS channel and the plaintext one (backend or local client). */
  private record Conn(String listener, Channel tls, Channel plain) {
    void close() {
      tls.close();
      plain.close();
    }
  }

  private record Handshake(String peerId, X509Certificate peerLeaf, String serial) {}

  public Proxy(ProxyConfig config, IdentitySource identities, RevocationSet revoked, ProxyMetrics metrics, Clock clock) {
    this(config, identities, revoked, metrics, clock, defaultProvider());
  }

  /** With a given TLS implementation; tests force {@link SslProvider#JDK}, the fallback. */
  Proxy(ProxyConfig config, IdentitySource identities, RevocationSet revoked, ProxyMetrics metrics, Clock clock, SslProvider provider) {
    this.config = config;
    this.identities = identities;
    this.verifier = new PeerVerifier(identities, revoked, clock);
    this.metrics = metrics;
    this.revoked = revoked;
    this.provider = provider;
    revoked.onChange(this::closeRevoked);
  }

  /** Binds every listener (failing fast if a port is taken) and starts accepting. */
  public Proxy start() throws IOException {
    // The JDK fallback seals TLS records with AWS-LC (ACCP) where it loads, as on the server;
    // PKIX path validation runs on the JDK's providers either way.
    CryptoProviders.installForTls();
    // Netty's leak detector tracks one buffer in 128 by default, recording a stack trace where it
    // is touched: a debugging aid with a cost on every buffer of the relay (one back-to-back pair
    // of rotor-load proxy runs: +4-5 % req/s without it, inside the run-to-run spread). Off
    // unless -Dio.netty.leakDetection.level asks for it.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    epoll = Epoll.isAvailable();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    group = new MultiThreadIoEventLoopGroup(threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    announce(threads);
    try {
      for (ProxyConfig.Inbound in : config.inbound()) {
        TlsContexts tls = new TlsContexts(in.identity(), identities, verifier, in.allow(), true, provider, config.tlsVersions());
        bind(in.listen(), new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            inbound(ch, in, tls);
          }
        });
      }
      for (ProxyConfig.Outbound out : config.outbound()) {
        TlsContexts tls = new TlsContexts(out.identity(), identities, verifier, out.expect(), false, provider, config.tlsVersions());
        bind(out.listen(), new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            outbound(ch, out, tls);
          }
        });
      }
    } catch (IOException e) {
      close();
      throw e;
    }
    return this;
  }

  private void announce(int threads) {
    if (!announced.compareAndSet(false, true)) {
      return;
    }
    String tls = provider == SslProvider.OPENSSL ? OpenSsl.versionString() : "jdk";
    String why = provider == SslProvider.OPENSSL || OpenSsl.unavailabilityCause() == null ? "" : OpenSsl.unavailabilityCause().toString();
    log.info("proxy data path tls={} transport={} eventLoops={} allocator={} leakDetection={} maxDirectMemory={}MiB{}", tls,
        epoll ? "epoll" : "nio", threads, io.netty.buffer.ByteBufAllocator.DEFAULT.getClass().getSimpleName(),
        io.netty.util.ResourceLeakDetector.getLevel().name().toLowerCase(java.util.Locale.ROOT),
        io.netty.util.internal.PlatformDependent.maxDirectMemory() >> 20, why.isEmpty() ? "" : " opensslUnavailable=\"" + why + "\"");
  }

  /** The port a listener is bound to (useful with port 0). */
  public int port(String listener) {
    int i = 0;
    for (ProxyConfig.Inbound in : config.inbound()) {
      if (in.name().equals(listener)) {
        return ((InetSocketAddress) servers.get(i).localAddress()).getPort();
      }
      i++;
    }
    for (ProxyConfig.Outbound out : config.outbound()) {
      if (out.name().equals(listener)) {
        return ((InetSocketAddress) servers.get(i).localAddress()).getPort();
      }
      i++;
    }
    throw new IllegalArgumentException("no listener " + listener);
  }

  private Class<? extends ServerChannel> serverChannel() {
    return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  private Class<? extends SocketChannel> socketChannel() {
    return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  private void bind(ProxyConfig.HostPort hp, ChannelHandler init) throws IOException {
    ChannelFuture f = new ServerBootstrap().group(group).channel(serverChannel())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(init)
        .bind(hp.host(), hp.port()).awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new IOException("proxy: cannot listen on " + hp + ": " + f.cause().getMessage(), f.cause());
    }
    servers.add(f.channel());
  }

  private Bootstrap connector(Channel from) {
    return new Bootstrap().group(from.eventLoop()).channel(socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS);
  }

  /** A client connected to an inbound listener: TLS first, the backend only for a verified peer. */
  private void inbound(SocketChannel ch, ProxyConfig.Inbound in, TlsContexts tls) {
    String peerAddr = String.valueOf(ch.remoteAddress());
    SslContext ctx = context(tls, in.name(), in.identity(), peerAddr);
    if (ctx == null) {
      ch.close();
      return;
    }
    Timer.Sample sample = Timer.start();
    SslHandler ssl = ctx.newHandler(ch.alloc());
    ssl.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
    ch.pipeline().addLast(ssl, new Handshaking(in.name(), peerAddr, ssl, sample) {
      @Override
      void established(ChannelHandlerContext hctx, Handshake h) {
        // Nothing more is read from the client until the backend is there to take it.
        ch.config().setAutoRead(false);
        // The backend's first bytes (a server that speaks first) wait for the relay as well.
        resolve(ch, in.backend(), addr -> connector(ch).option(ChannelOption.AUTO_READ, false)
            .handler(new ChannelInboundHandlerAdapter()).connect(addr)
            .addListener((ChannelFuture f) -> {
              if (!f.isSuccess()) {
                f.channel().close();
                deny(in.name(), DenyReason.BACKEND_UNREACHABLE, peerAddr, in.backend() + ": " + f.cause().getMessage());
                release();
                ch.close();
                return;
              }
              if (!ch.isActive()) {
                release();
                f.channel().close();
                return;
              }
              HttpRequestRewriter http = in.http()
                  ? new HttpRequestRewriter("By=" + in.identity() + ";Hash=" + sha256(h.peerLeaf()) + ";URI=" + h.peerId())
                  : null;
              relay(in.name(), hctx, f.channel(), h, http);
            }), e -> {
              deny(in.name(), DenyReason.BACKEND_UNREACHABLE, peerAddr, in.backend() + ": " + e);
              release();
              ch.close();
            });
      }
    });
  }

  /** A local client connected to an outbound listener: mTLS to the upstream, then relay. */
  private void outbound(SocketChannel local, ProxyConfig.Outbound out, TlsContexts tls) {
    String peerAddr = out.upstream().toString();
    local.config().setAutoRead(false); // until the upstream is connected and verified
    SslContext ctx = context(tls, out.name(), out.identity(), peerAddr);
    if (ctx == null) {
      local.close();
      return;
    }
    Timer.Sample sample = Timer.start();
    Bootstrap upstream = connector(local).handler(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel up) {
        SslHandler ssl = ctx.newHandler(up.alloc(), out.upstream().host(), out.upstream().port());
        ssl.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
        up.pipeline().addLast(ssl, new Handshaking(out.name(), peerAddr, ssl, sample) {
          @Override
          void established(ChannelHandlerContext hctx, Handshake h) {
            if (!local.isActive()) {
              release();
              up.close();
              return;
            }
            relay(out.name(), hctx, local, h, null);
          }

          @Override
          void refused() {
            local.close();
          }
        });
      }
    });
    resolve(local, out.upstream(), addr -> upstream.connect(addr).addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        deny(out.name(), DenyReason.BACKEND_UNREACHABLE, peerAddr, String.valueOf(f.cause().getMessage()));
        local.close();
      }
    }), e -> {
      deny(out.name(), DenyReason.BACKEND_UNREACHABLE, peerAddr, e.toString());
      local.close();
    });
  }

  /**
   * Resolves a host name off the event loop (a DNS lookup would stall every connection on it),
   * then continues on {@code ch}'s event loop. IP literals, the usual backend, go straight on.
   */
  private static void resolve(Channel ch, ProxyConfig.HostPort hp, java.util.function.Consumer<InetSocketAddress> then,
      java.util.function.Consumer<Exception> failed) {
    if (NetUtil.isValidIpV4Address(hp.host()) || NetUtil.isValidIpV6Address(hp.host())) {
      then.accept(new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(hp.host()), hp.port()));
      return;
    }
    Thread.ofVirtual().name("rotor-proxy-resolve").start(() -> {
      try {
        InetSocketAddress addr = new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port());
        ch.eventLoop().execute(() -> then.accept(addr));
      } catch (Exception e) {
        ch.eventLoop().execute(() -> failed.accept(e));
      }
    });
  }

  private SslContext context(TlsContexts tls, String listener, String identity, String peerAddr) {
    try {
      SslContext ctx = tls.context();
      if (ctx == null) {
        deny(listener, DenyReason.NO_LOCAL_IDENTITY, peerAddr, "no certificate yet for " + identity);
      }
      return ctx;
    } catch (Exception e) {
      deny(listener, DenyReason.NO_LOCAL_IDENTITY, peerAddr, "cannot use the certificate of " + identity + ": " + e);
      return null;
    }
  }

  /**
   * Waits for the TLS handshake on a channel, then checks the peer on the established session.
   * Counts and logs a refusal, and holds whatever the peer sends right after its Finished until
   * {@link #relay} takes over.
   */
  private abstract class Handshaking extends ChannelInboundHandlerAdapter {
    private final String listener;
    private final String peerAddr;
    private final SslHandler ssl;
    private final Timer.Sample sample;
    private final List<Object> early = new ArrayList<>(1);
    private boolean active;
    private boolean done;

    Handshaking(String listener, String peerAddr, SslHandler ssl, Timer.Sample sample) {
      this.listener = listener;
      this.peerAddr = peerAddr;
      this.ssl = ssl;
      this.sample = sample;
    }

    /** The peer is verified; relay (and then hand over {@link #early}) or close. */
    abstract void established(ChannelHandlerContext ctx, Handshake h);

    /** The handshake failed or the peer was refused (after counting it). */
    void refused() {}

    List<Object> early() {
      return early;
    }

    void release() {
      early.forEach(ReferenceCountUtil::release);
      early.clear();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      active = true;
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      early.add(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (!(evt instanceof SslHandshakeCompletionEvent e)) {
        ctx.fireUserEventTriggered(evt);
        return;
      }
      if (done) {
        return;
      }
      done = true;
      if (!e.isSuccess() && !active) {
        refuse(ctx); // never connected: counted where the connect failed
        return;
      }
      if (!e.isSuccess()) {
        Throwable cause = e.cause();
        PeerRejected r = PeerRejected.in(cause);
        if (r != null) {
          deny(listener, r.reason(), peerAddr, r.getMessage());
        } else if (cause instanceof SslHandshakeTimeoutException) {
          deny(listener, DenyReason.HANDSHAKE_TIMEOUT, peerAddr, "no handshake within " + config.handshakeTimeout());
        } else {
          deny(listener, DenyReason.HANDSHAKE_FAILED, peerAddr, String.valueOf(cause.getMessage()));
        }
        refuse(ctx);
        return;
      }
      sample.stop(metrics.handshake(listener));
      X509Certificate[] peer;
      try {
        Certificate[] certs = ssl.engine().getSession().getPeerCertificates();
        peer = new X509Certificate[certs.length];
        for (int i = 0; i < certs.length; i++) {
          peer[i] = (X509Certificate) certs[i];
        }
      } catch (SSLPeerUnverifiedException ex) {
        peer = null;
      }
      String id;
      try {
        // Again on the established session: a resumed handshake does not consult the trust manager.
        id = verifier.verify(peer, patterns(listener));
      } catch (PeerRejected ex) {
        deny(listener, ex.reason(), peerAddr, ex.getMessage());
        refuse(ctx);
        return;
      }
      metrics.allowed(listener);
      established(ctx, new Handshake(id, peer[0], PeerVerifier.serial(peer[0])));
    }

    private void refuse(ChannelHandlerContext ctx) {
      release();
      ctx.close();
      refused();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      release();
      refused();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // The handshake failure itself arrives as the completion event; this is only the close.
      log.debug("proxy connection ended listener={} peer={} error={}", listener, peerAddr, cause.toString());
      ctx.close();
    }
  }

  /**
   * Joins the mTLS channel (whose {@link Handshaking} handler {@code hctx} belongs to) and the
   * plaintext one: registers the connection for revocation, replaces the handshake handler by a
   * relay, passes on what arrived early, and starts reading both sides.
   */
  private void relay(String listener, ChannelHandlerContext hctx, Channel plain, Handshake h, HttpRequestRewriter http) {
    Channel tls = hctx.channel();
    Conn conn = new Conn(listener, tls, plain);
    AtomicInteger open = metrics.open(listener);
    open.incrementAndGet();
    // compute/computeIfPresent: atomic per serial, so a connection of the same peer registered on
    // another event loop while this one leaves is never dropped with an emptied set.
    byPeerSerial.compute(h.serial(), (k, set) -> {
      Set<Conn> s = set == null ? ConcurrentHashMap.newKeySet() : set;
      s.add(conn);
      return s;
    });
    AtomicInteger alive = new AtomicInteger(2);
    Runnable closed = () -> {
      if (alive.decrementAndGet() == 0) {
        open.decrementAndGet();
        byPeerSerial.computeIfPresent(h.serial(), (k, set) -> {
          set.remove(conn);
          return set.isEmpty() ? null : set;
        });
      }
    };
    tls.closeFuture().addListener(f -> closed.run());
    plain.closeFuture().addListener(f -> closed.run());
    if (revoked.isRevoked(h.serial())) {
      conn.close(); // revoked between the check on the session and the registration above
      return;
    }
    Handshaking handshaking = (Handshaking) hctx.handler();
    ChannelHandlerContext ssl = tls.pipeline().context(SslHandler.class);
    plain.pipeline().addLast(new Relay(tls, metrics.bytes(listener, "to_tls"), false, listener));
    io.micrometer.core.instrument.Counter fromTls = metrics.bytes(listener, "from_tls");
    hctx.pipeline().replace(handshaking, "relay", new Relay(plain, http == null ? fromTls : null, true, listener));
    if (http != null) {
      tls.pipeline().addBefore("relay", "xfcc", new HttpRequestHandler(http, fromTls));
    }
    for (Object early : handshaking.early()) {
      ssl.fireChannelRead(early);
    }
    handshaking.early().clear();
    ssl.fireChannelReadComplete();
    tls.config().setAutoRead(true);
    plain.config().setAutoRead(true);
  }

  /**
   * Hands each buffer read on one channel to the other and flushes once per read batch. When the
   * other channel's outbound buffer is full, this side stops reading until it drains.
   */
  private static final class Relay extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final io.micrometer.core.instrument.Counter bytes;
    private final boolean tlsSide;
    private final String listener;

    /** @param bytes counts what is read here; null when an {@link HttpRequestHandler} before it counts */
    Relay(Channel peer, io.micrometer.core.instrument.Counter bytes, boolean tlsSide, String listener) {
      this.peer = peer;
      this.bytes = bytes;
      this.tlsSide = tlsSide;
      this.listener = listener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (bytes != null) {
        bytes.increment(((io.netty.buffer.ByteBuf) msg).readableBytes());
      }
      peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      // This channel's outbound buffer filled up or drained: the other side reads accordingly.
      peer.config().setAutoRead(ctx.channel().isWritable());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!peer.isActive()) {
        return;
      }
      if (tlsSide && peer instanceof io.netty.channel.socket.DuplexChannel d) {
        // The mTLS side ended: the plaintext side gets end-of-stream and may still answer until
        // it closes (its answer then fails to reach the closed side, which closes both).
        peer.config().setAutoRead(true);
        peer.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(f -> d.shutdownOutput());
      } else {
        peer.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("proxy connection ended listener={} error={}", listener, cause.toString());
      ctx.close();
      peer.close();
    }
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

  @Override
  public void close() {
    servers.forEach(Channel::close);
    for (Set<Conn> set : byPeerSerial.values()) {
      set.forEach(Conn::close);
    }
    byPeerSerial.clear();
    if (group != null) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  /** Used by tests and logs: the listener names and where they listen. */
  @Override
  public String toString() {
    return "Proxy" + config.inbound().stream().map(ProxyConfig.Inbound::name).toList()
        + config.outbound().stream().map(ProxyConfig.Outbound::name).toList();
  }
}
