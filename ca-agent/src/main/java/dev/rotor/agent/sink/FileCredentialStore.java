package dev.rotor.agent.sink;

import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.api.TrustBundle;
import dev.rotor.agent.renew.CredentialStore;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The agent's own credentials in its data directory: {@code agent.pem} (the private key, then the
 * chain, mode 0600) written in one atomic replace so key and certificate always match, and
 * {@code bundle.pem} beside it.
 */
public final class FileCredentialStore implements CredentialStore {

  private final Path credentialsFile;
  private final Path bundleFile;

  public FileCredentialStore(Path dataDir) {
    this.credentialsFile = dataDir.resolve("agent.pem");
    this.bundleFile = dataDir.resolve("bundle.pem");
  }

  @Override
  public Optional<Credentials> load() throws IOException {
    if (!Files.exists(credentialsFile) || !Files.exists(bundleFile)) {
      return Optional.empty();
    }
    String pem = Files.readString(credentialsFile, StandardCharsets.US_ASCII);
    try {
      PrivateKey key = PrivateKeys.parse(pem);
      List<X509Certificate> chain = Pem.parseCertificates(pem);
      if (!PrivateKeys.matches(chain.get(0).getPublicKey(), key)) {
        return Optional.empty();
      }
      TrustBundle bundle = TrustBundle.parse(Files.readString(bundleFile, StandardCharsets.US_ASCII));
      return Optional.of(new Credentials(key, chain, bundle));
    } catch (PkiException e) {
      throw new IOException(credentialsFile + " does not parse: " + e.getMessage());
    }
  }

  @Override
  public void save(Credentials c) throws IOException {
    List<byte[]> ders = new ArrayList<>();
    try {
      for (X509Certificate cert : c.chain()) {
        ders.add(cert.getEncoded());
      }
      String pem = PrivateKeys.toPem(c.key()) + Pem.certificates(ders);
      AtomicFile.write(bundleFile, c.bundle().canonicalPem().getBytes(StandardCharsets.US_ASCII), false);
      AtomicFile.write(credentialsFile, pem.getBytes(StandardCharsets.US_ASCII), true);
    } catch (CertificateEncodingException | PkiException e) {
      throw new IOException("cannot encode the agent credentials", e);
    }
  }
}
