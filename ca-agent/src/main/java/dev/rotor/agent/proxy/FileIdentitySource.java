package dev.rotor.agent.proxy;

import dev.rotor.pki.Pem;
import dev.rotor.pki.PrivateKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxy identities from the directories the agent's file sink keeps fresh ({@code cert.pem} =
 * leaf + chain, {@code key.pem}), re-read when the sink has replaced them (it renames new files
 * into place, so a changed modification time means a complete new pair). A pair that does not
 * match, or cannot be read, is not used: the previous one stays in service.
 */
public final class FileIdentitySource implements IdentitySource {

  private static final Logger log = LoggerFactory.getLogger(FileIdentitySource.class);

  private record Loaded(FileTime certTime, FileTime keyTime, TlsIdentity identity) {}

  private final Map<String, Path> dirs;
  private final Supplier<List<X509Certificate>> bundle;
  private final Map<String, Loaded> cache = new ConcurrentHashMap<>();

  /**
   * @param dirs SPIFFE ID → directory holding its cert.pem and key.pem
   * @param bundle the agent's current trust bundle
   */
  public FileIdentitySource(Map<String, Path> dirs, Supplier<List<X509Certificate>> bundle) {
    this.dirs = Map.copyOf(dirs);
    this.bundle = bundle;
  }

  @Override
  public Optional<TlsIdentity> identity(String spiffeId) {
    Path dir = dirs.get(spiffeId);
    if (dir == null) {
      return Optional.empty();
    }
    Loaded old = cache.get(spiffeId);
    try {
      FileTime certTime = Files.getLastModifiedTime(dir.resolve("cert.pem"));
      FileTime keyTime = Files.getLastModifiedTime(dir.resolve("key.pem"));
      if (old != null && old.certTime().equals(certTime) && old.keyTime().equals(keyTime)) {
        return Optional.of(old.identity());
      }
      List<X509Certificate> chain = Pem.parseCertificates(Files.readString(dir.resolve("cert.pem")));
      java.security.PrivateKey key = PrivateKeys.parse(Files.readString(dir.resolve("key.pem")));
      if (!PrivateKeys.matches(chain.get(0).getPublicKey(), key) || !spiffeId.equals(PeerVerifier.spiffeId(chain.get(0)))) {
        throw new IOException("cert.pem and key.pem do not form a pair for " + spiffeId);
      }
      TlsIdentity id = new TlsIdentity(key, chain);
      cache.put(spiffeId, new Loaded(certTime, keyTime, id));
      return Optional.of(id);
    } catch (NoSuchFileException e) {
      return old == null ? Optional.empty() : Optional.of(old.identity());
    } catch (Exception e) {
      log.warn("proxy identity not reloaded id={} error={}", spiffeId, e.toString());
      return old == null ? Optional.empty() : Optional.of(old.identity());
    }
  }

  @Override
  public List<X509Certificate> bundle() {
    return bundle.get();
  }
}
