package dev.rotor.server.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CaBuilder;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.NameConstraintsSpec;
import dev.rotor.pki.Pem;
import dev.rotor.pki.Pkcs11Token;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import dev.rotor.pki.Serials;
import dev.rotor.pki.SigningCa;
import dev.rotor.server.ServerConfig;
import dev.rotor.server.store.Journal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.bouncycastle.asn1.x500.X500Name;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings up the CA at start: loads the active root and issuing CA from PostgreSQL, creates them
 * on first start, or imports an existing CA from PEM files.
 *
 * <p>Generated CA keys are stored in the database PKCS#8-encrypted (PBES2, AES-256) under the CA
 * passphrase: {@code ROTOR_CA_PASSPHRASE}, or else a random one kept in {@code
 * <dataDir>/ca-passphrase} (mode 0600). A wrong or missing passphrase for an existing CA stops
 * the server rather than creating a second CA. Several replicas starting at once agree through a
 * PostgreSQL advisory lock, so exactly one creates the CA.
 */
public final class CaBootstrap {

  private static final Logger log = LoggerFactory.getLogger(CaBootstrap.class);
  private static final long ADVISORY_LOCK = 0x526f746f72434121L; // "RotorCA!"
  static final String PASSPHRASE_FILE = "ca-passphrase";

  private final ServerConfig config;
  private final DataSource dataSource;
  private final Journal journal;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final Optional<Pkcs11Token> token;

  /** @param token the PKCS#11 token holding the CA keys, when {@code ROTOR_CA_PKCS11_LIBRARY} is set */
  public CaBootstrap(ServerConfig config, DataSource dataSource, Journal journal, Clock clock, Optional<Pkcs11Token> token) {
    this.config = config;
    this.dataSource = dataSource;
    this.journal = journal;
    this.clock = clock;
    this.token = token;
  }

  /** Keys of an existing CA: the passphrase must already exist (never generated for a CA that has keys). */
  private CaKeys existingKeys() {
    return new CaKeys(token, () -> unchecked(this::existingPassphrase));
  }

  /** Keys of a CA being created: the passphrase is generated on first use when unset. */
  private CaKeys newKeys() {
    return new CaKeys(token, () -> unchecked(this::newOrExistingPassphrase));
  }

  private interface IoSupplier<T> {
    T get() throws IOException;
  }

  private static <T> T unchecked(IoSupplier<T> s) {
    try {
      return s.get();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Returns the CA in force, creating or importing it if needed. */
  public CertificateAuthority start() throws IOException, SQLException {
    try (Connection lock = dataSource.getConnection()) {
      try (Statement st = lock.createStatement()) {
        st.execute("SELECT pg_advisory_lock(" + ADVISORY_LOCK + ")");
      }
      try {
        return config.importsCa() ? importCa() : loadOrCreate();
      } finally {
        try (Statement st = lock.createStatement()) {
          st.execute("SELECT pg_advisory_unlock(" + ADVISORY_LOCK + ")");
        }
      }
    }
  }

  private record CaRow(int id, X509Certificate certificate, CaKeys.Stored key, KeyAlgorithm algorithm) {}

  private CertificateAuthority loadOrCreate() throws IOException, SQLException {
    Optional<CaRow> intermediate = active("intermediate");
    Optional<CaRow> root = active("root");
    if (intermediate.isPresent() && root.isPresent()) {
      CaRow row = intermediate.get();
      PrivateKey key = existingKeys().load(row.key(), "issuing CA");
      log.info("ca loaded issuer=\"{}\" notAfter={}", row.certificate().getSubjectX500Principal().getName(), row.certificate().getNotAfter().toInstant());
      return new CertificateAuthority(row.id(), new SigningCa(row.certificate(), key, row.algorithm()),
          List.of(row.certificate()), List.of(root.get().certificate()));
    }
    return create();
  }

  private CertificateAuthority create() {
    CaKeys keys = newKeys();
    try {
      KeyAlgorithm alg = config.caKeyAlgorithm();
      CaBuilder builder = new CaBuilder(CryptoProviders.signing());
      Instant now = clock.instant();
      Instant notBefore = now.minus(Duration.ofMinutes(1));
      KeyPair rootKeys = keys.generate(alg);
      X509Certificate root = builder.root(rootKeys, alg,
          new X500Name("CN=Rotor Root CA,OU=" + config.trustDomain() + ",O=Rotor"),
          notBefore, now.plus(config.rootTtl()));
      KeyPair issuingKeys = keys.generate(alg);
      Instant issuingNotAfter = min(now.plus(config.intermediateTtl()), root.getNotAfter().toInstant());
      SigningCa rootCa = new SigningCa(root, rootKeys.getPrivate(), alg);
      X509Certificate issuing = builder.intermediate(issuingKeys, alg,
          new X500Name("CN=Rotor Issuing CA " + Serials.toHex(Serials.random()).substring(0, 8) + ",OU=" + config.trustDomain() + ",O=Rotor"),
          rootCa, notBefore, issuingNotAfter,
          new NameConstraintsSpec(config.trustDomain(), permittedDnsForConstraints()));
      CaKeys.Stored rootKey = keys.store("rotor-root-" + Serials.toHex(root.getSerialNumber()), rootKeys, root);
      CaKeys.Stored issuingKey = keys.store("rotor-issuing-" + Serials.toHex(issuing.getSerialNumber()), issuingKeys, issuing);
      int issuingId = journal.execute(tx -> {
        insertCa(tx, "root", root, rootKey, alg, keys.storage());
        return insertCa(tx, "intermediate", issuing, issuingKey, alg, keys.storage());
      });
      log.info("ca created root=\"{}\" issuer=\"{}\" algorithm={} issuerNotAfter={} keys={}",
          root.getSubjectX500Principal().getName(), issuing.getSubjectX500Principal().getName(), alg, issuingNotAfter,
          keys.token().map(t -> "pkcs11 " + t.description()).orElse("database-encrypted"));
      return new CertificateAuthority(issuingId, new SigningCa(issuing, keys.signingKey(issuingKey, issuingKeys), alg),
          List.of(issuing), List.of(root));
    } catch (PkiException e) {
      throw new IllegalStateException("cannot create the CA: " + e.getMessage(), e);
    }
  }

  /** The permitted DNS subtrees: the configured suffixes plus the server's own host names. */
  private List<String> permittedDnsForConstraints() {
    List<String> dns = new ArrayList<>(config.permittedDns());
    for (String host : config.dnsHostnames()) {
      boolean covered = dns.stream().anyMatch(s -> host.equals(s) || host.endsWith("." + s));
      if (!covered) {
        dns.add(host);
      }
    }
    return dns;
  }

  private CertificateAuthority importCa() throws IOException, SQLException {
    Path certFile = config.caCert().orElseThrow(() -> new IllegalStateException("ROTOR_CA_KEY is set but ROTOR_CA_CERT is not"));
    Path keyFile = config.caKey().orElseThrow(() -> new IllegalStateException("ROTOR_CA_CERT is set but ROTOR_CA_KEY is not"));
    List<X509Certificate> chain;
    PrivateKey key;
    try {
      chain = Pem.parseCertificates(Files.readString(certFile));
      String keyPem = Files.readString(keyFile);
      if (keyPem.contains("ENCRYPTED PRIVATE KEY")) {
        char[] passphrase = config.caPassphrase()
            .orElseThrow(() -> new IllegalStateException(keyFile + " is encrypted: set ROTOR_CA_PASSPHRASE"))
            .toCharArray();
        key = PrivateKeys.decrypt(keyPem, passphrase);
        Arrays.fill(passphrase, '\0');
      } else {
        key = PrivateKeys.parse(keyPem);
      }
    } catch (PkiException e) {
      throw new IllegalStateException("cannot import the CA from " + certFile + " and " + keyFile + ": " + e.getMessage());
    }
    if (chain.isEmpty()) {
      throw new IllegalStateException(certFile + " holds no certificate");
    }
    X509Certificate issuing = chain.get(0);
    if (issuing.getBasicConstraints() < 0) {
      throw new IllegalStateException(certFile + ": the first certificate is not a CA certificate (basicConstraints cA=false)");
    }
    if (!PrivateKeys.matches(issuing.getPublicKey(), key)) {
      throw new IllegalStateException(keyFile + " does not match the first certificate in " + certFile);
    }
    if (issuing.getNotAfter().toInstant().isBefore(clock.instant())) {
      throw new IllegalStateException(certFile + ": the CA certificate expired on " + issuing.getNotAfter().toInstant());
    }
    KeyAlgorithm alg = KeyAlgorithm.of(issuing.getPublicKey());
    X509Certificate top = chain.get(chain.size() - 1);
    List<X509Certificate> above = chain.size() > 1 && isSelfSigned(top) ? chain.subList(0, chain.size() - 1) : chain;
    Optional<CaRow> current = active("intermediate");
    int id;
    if (current.isPresent() && Arrays.equals(encoded(current.get().certificate()), encoded(issuing))) {
      id = current.get().id();
    } else {
      id = journal.execute(tx -> {
        try (PreparedStatement off = tx.connection().prepareStatement("UPDATE certificate_authorities SET active = false WHERE active")) {
          off.executeUpdate();
        }
        CaKeys.Stored external = new CaKeys.Stored(null, null);
        if (top != issuing) {
          insertCa(tx, "root", top, external, KeyAlgorithm.of(top.getPublicKey()), "external-file");
        }
        return insertCa(tx, "intermediate", issuing, external, alg, "external-file");
      });
      log.info("ca imported issuer=\"{}\" notAfter={}", issuing.getSubjectX500Principal().getName(), issuing.getNotAfter().toInstant());
    }
    return new CertificateAuthority(id, new SigningCa(issuing, key, alg), List.copyOf(above), List.of(top));
  }

  private int insertCa(Journal.Tx tx, String kind, X509Certificate cert, CaKeys.Stored key, KeyAlgorithm alg, String storage)
      throws SQLException, com.fasterxml.jackson.core.JsonProcessingException {
    int id;
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO certificate_authorities (kind, subject, serial, certificate_der, encrypted_key, key_ref, key_algorithm,"
            + " not_before, not_after, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, true) RETURNING id")) {
      ps.setString(1, kind);
      ps.setString(2, cert.getSubjectX500Principal().getName());
      ps.setString(3, Serials.toHex(cert.getSerialNumber()));
      ps.setBytes(4, encoded(cert));
      ps.setString(5, key.encryptedKey());
      ps.setString(6, key.keyRef());
      ps.setString(7, alg.name());
      ps.setTimestamp(8, Timestamp.from(cert.getNotBefore().toInstant()));
      ps.setTimestamp(9, Timestamp.from(cert.getNotAfter().toInstant()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getInt(1);
      }
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("kind", kind);
    details.put("subject", cert.getSubjectX500Principal().getName());
    details.put("serial", Serials.toHex(cert.getSerialNumber()));
    details.put("algorithm", alg.name());
    details.put("notAfter", cert.getNotAfter().toInstant().toString());
    details.put("keyStorage", storage);
    if (key.keyRef() != null) {
      details.put("keyRef", key.keyRef());
    }
    tx.audit("system", storage.equals("external-file") && kind.equals("intermediate") ? "ca.imported" : "ca.created",
        Serials.toHex(cert.getSerialNumber()), json.writeValueAsString(details));
    return id;
  }

  private Optional<CaRow> active(String kind) throws SQLException {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT id, certificate_der, encrypted_key, key_ref, key_algorithm FROM certificate_authorities WHERE kind = ? AND active")) {
      ps.setString(1, kind);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        X509Certificate cert = Pem.parseCertificate(rs.getBytes(2));
        return Optional.of(new CaRow(rs.getInt(1), cert, new CaKeys.Stored(rs.getString(3), rs.getString(4)),
            KeyAlgorithm.valueOf(rs.getString(5))));
      } catch (PkiException e) {
        throw new IllegalStateException("stored CA certificate does not parse: " + e.getMessage());
      }
    }
  }

  private char[] existingPassphrase() throws IOException {
    if (config.caPassphrase().isPresent()) {
      return config.caPassphrase().get().toCharArray();
    }
    Path file = config.dataDir().resolve(PASSPHRASE_FILE);
    if (!Files.exists(file)) {
      throw new IllegalStateException("the CA keys in the database are encrypted, but ROTOR_CA_PASSPHRASE is unset and "
          + file + " does not exist; restore the passphrase rather than creating a new CA");
    }
    return Files.readString(file, StandardCharsets.UTF_8).trim().toCharArray();
  }

  private char[] newOrExistingPassphrase() throws IOException {
    if (config.caPassphrase().isPresent()) {
      return config.caPassphrase().get().toCharArray();
    }
    Path file = config.dataDir().resolve(PASSPHRASE_FILE);
    Files.createDirectories(config.dataDir());
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String passphrase = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (FileAlreadyExistsException e) {
        return existingPassphrase();
      }
      Files.writeString(file, passphrase + "\n", StandardCharsets.UTF_8);
      log.info("generated ca passphrase file={} (back it up with the database)", file);
    }
    return existingPassphrase();
  }

  private static boolean isSelfSigned(X509Certificate c) {
    return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
