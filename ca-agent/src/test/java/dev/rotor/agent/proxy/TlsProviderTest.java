package dev.rotor.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TlsProviderTest {

  @Test
  void jdkIsForcedOnRequest() {
    assertThat(TlsProvider.choose("jdk").name()).isEqualTo("jdk");
    assertThat(TlsProvider.choose("JDK").isConscrypt()).isFalse();
  }

  @Test
  void conscryptIsPreferredWhereItsNativeLibraryLoads() throws Exception {
    TlsProvider p = TlsProvider.choose(null);
    // This build runs on linux-x86_64, which the conscrypt-openjdk-uber jar carries BoringSSL for.
    assertThat(p.name()).isEqualTo("conscrypt");
    assertThat(p.newContext().getProvider().getName()).isEqualTo("Conscrypt");
    assertThat(TlsProvider.choose("conscrypt").isConscrypt()).isTrue();
  }
}
