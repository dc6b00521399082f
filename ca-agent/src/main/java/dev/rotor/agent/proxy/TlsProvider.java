package dev.rotor.agent.proxy;

import java.io.IOException;
import java.net.Socket;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.conscrypt.Conscrypt;

/**
 * The TLS implementation of the proxy's listeners: Conscrypt (BoringSSL through JNI) where its
 * native library loads, the JDK's SunJSSE everywhere else.
 *
 * <p>Why: the proxy's cost is the TLS record layer, and SunJSSE's (a cipher re-initialised per
 * record, a copy per record) is where the JDK proxy lost to nginx. Conscrypt seals and opens
 * records in BoringSSL, as nginx does with OpenSSL.
 *
 * <p>Conscrypt sockets are its <em>engine</em> sockets: they do their I/O through the wrapped
 * Java socket's streams, so a read blocks a virtual thread, not its carrier. (Its other socket
 * kind reads the file descriptor in native code, which would pin one of the few carriers per idle
 * connection.)
 *
 * <p>{@code ROTOR_PROXY_TLS=jdk} (or the system property {@code rotor.proxy.tls=jdk}) forces
 * SunJSSE, for platforms where the native library misbehaves and for comparisons.
 */
public final class TlsProvider {

  private static final TlsProvider DEFAULT = choose(System.getProperty("rotor.proxy.tls", System.getenv("ROTOR_PROXY_TLS")));

  private final String name;
  private final Provider provider;

  private TlsProvider(String name, Provider provider) {
    this.name = name;
    this.provider = provider;
  }

  /** The process-wide choice (Conscrypt when it loads, unless forced to the JDK's). */
  public static TlsProvider get() {
    return DEFAULT;
  }

  /** {@code "jdk"} forces SunJSSE; anything else (or null) prefers Conscrypt. */
  static TlsProvider choose(String wanted) {
    if (wanted != null && wanted.equalsIgnoreCase("jdk")) {
      return jdk();
    }
    try {
      if (Conscrypt.isAvailable()) {
        Provider p = Conscrypt.newProviderBuilder().setName("Conscrypt").provideTrustManager(false).build();
        return new TlsProvider("conscrypt", p);
      }
    } catch (LinkageError | RuntimeException e) {
      // No native library for this platform: SunJSSE below is correct, only slower.
    }
    return jdk();
  }

  static TlsProvider jdk() {
    return new TlsProvider("jdk", null);
  }

  /** {@code conscrypt} or {@code jdk}: for the startup log and the metrics. */
  public String name() {
    return name;
  }

  boolean isConscrypt() {
    return provider != null;
  }

  SSLContext newContext() throws NoSuchAlgorithmException {
    return provider == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", provider);
  }

  /** The factory that layers TLS over the proxy's accepted or connected sockets. */
  SSLSocketFactory socketFactory(SSLContext ctx) {
    SSLSocketFactory f = ctx.getSocketFactory();
    if (provider != null) {
      Conscrypt.setUseEngineSocket(f, true);
    }
    return f;
  }

  /**
   * TLS over an already connected socket; closing the TLS socket closes {@code raw}. A null
   * {@code host} (the server side) becomes the peer's address: Conscrypt 2.5 otherwise looks the
   * name up by reflection into {@code java.net.InetAddress}, which JDK 17+ refuses without
   * {@code --add-opens}.
   */
  static SSLSocket layer(SSLSocketFactory f, Socket raw, String host, int port) throws IOException {
    String h = host != null ? host : raw.getInetAddress().getHostAddress();
    return (SSLSocket) f.createSocket(raw, h, port, true);
  }

  @Override
  public String toString() {
    return name;
  }
}
