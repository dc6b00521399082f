package dev.rotor.agent.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.agent.TestCa;
import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.api.Csrs;
import dev.rotor.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCredentialStoreTest {

  @TempDir
  Path dir;

  @Test
  void savesKeyAndChainTogetherOwnerOnlyAndReadsThemBack() throws Exception {
    TestCa ca = new TestCa("store");
    KeyPair keys = Csrs.newKeyPair();
    Instant now = Instant.now();
    String chain = ca.chainPem(keys.getPublic(), "spiffe://rotor.local/agent/k8s/node-a", List.of(), now.minusSeconds(5), now.plusSeconds(900));
    Credentials c = new Credentials(keys.getPrivate(), Pem.parseCertificates(chain), ca.bundle());
    FileCredentialStore store = new FileCredentialStore(dir);
    assertThat(store.load()).isEmpty();

    store.save(c);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("agent.pem")))).isEqualTo("rw-------");
    Credentials back = store.load().orElseThrow();
    assertThat(back.chain()).isEqualTo(c.chain());
    assertThat(back.serial()).isEqualTo(c.serial());
    assertThat(back.key().getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
    assertThat(back.bundle().sameAs(c.bundle())).isTrue();
    assertThat(back.spiffeId()).contains("spiffe://rotor.local/agent/k8s/node-a");
  }

  @Test
  void aKeyThatDoesNotMatchIsNotLoaded() throws Exception {
    TestCa ca = new TestCa("store");
    KeyPair keys = Csrs.newKeyPair();
    Instant now = Instant.now();
    String chain = ca.chainPem(keys.getPublic(), "spiffe://rotor.local/agent/k8s/node-a", List.of(), now.minusSeconds(5), now.plusSeconds(900));
    new FileCredentialStore(dir).save(new Credentials(keys.getPrivate(), Pem.parseCertificates(chain), ca.bundle()));
    String other = dev.rotor.pki.PrivateKeys.toPem(Csrs.newKeyPair().getPrivate());
    Files.writeString(dir.resolve("agent.pem"), other + chain);
    assertThat(new FileCredentialStore(dir).load()).isEmpty();
  }
}
