package dev.rotor.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;

/** The data path the agent ships (and rotor-load proxy measures) is the one that runs here. */
class ProxyDataPathTest {

  @Test
  void boringSslAndEpollLoadFromTheAgentsDependencies() {
    assertThat(OpenSsl.isAvailable()).as("netty-tcnative: %s", OpenSsl.unavailabilityCause()).isTrue();
    assertThat(Proxy.defaultProvider()).isEqualTo(SslProvider.OPENSSL);
    assertThat(OpenSsl.versionString()).containsIgnoringCase("BoringSSL");
    assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
  }
}
