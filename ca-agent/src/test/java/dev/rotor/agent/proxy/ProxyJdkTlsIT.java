package dev.rotor.agent.proxy;

import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every {@link ProxyIT} case with the proxy's TLS on the JDK (SunJSSE, ACCP's ciphers): the
 * fallback {@link Proxy} uses where netty-tcnative's BoringSSL does not load.
 */
class ProxyJdkTlsIT extends ProxyIT {

  /** Hides {@link ProxyIT#start()}, so JUnit runs only this one. */
  @BeforeAll
  static void start() throws Exception {
    start(SslProvider.JDK);
  }
}
