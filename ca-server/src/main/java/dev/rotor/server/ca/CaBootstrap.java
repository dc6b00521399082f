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
  /**
   * notBefore of a new CA certificate is this far back (clock skew between replicas and relying
   * parties). At least the leaves' 30 s backdate, so a leaf's notBefore (now − 30 s) is never
   * before its issuing CA's, even right after a rotation.
   */
  static final Duration CA_BACKDATE = Duration.ofMinutes(1);

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

  private record CaRow(int id, X509Certificate certificate, CaKeys.Stored stored, KeyAlgorithm algorithm) {}

  private CertificateAuthority loadOrCreate() throws IOException, SQLException {
    Optional<CaRow> intermediate = active("intermediate");
    Optional<CaRow> root = active("root");
    if (intermediate.isPresent() && root.isPresent()) {
      if (!intermediate.get().stored().held()) {
        throw new IllegalStateException("the active issuing CA was imported from PEM files; set ROTOR_CA_CERT and ROTOR_CA_KEY again");
      }
      CertificateAuthority ca = load();
      log.info("ca loaded issuer=\"{}\" notAfter={} generation={}", ca.issuingCertificate().getSubjectX500Principal().getName(),
          ca.notAfter(), ca.generation());
      return ca;
    }
    create();
    return load();
  }

  /** One stored CA row, for {@link #load()} and {@link CaRotation}. */
  record StoredCa(int id, String kind, CaState state, X509Certificate certificate, CaKeys.Stored stored, KeyAlgorithm algorithm,
      Integer parentId, X509Certificate cross) {

    /**
     * The nominal validity the schedule works on: from creation (notBefore + {@link #CA_BACKDATE})
     * to notAfter, so the clock-skew allowance does not count as lifetime.
     */
    RotationSchedule.Validity validity() {
      Instant nb = certificate.getNotBefore().toInstant();
      Instant na = certificate.getNotAfter().toInstant();
      Instant created = nb.plus(CA_BACKDATE);
      return new RotationSchedule.Validity(created.isBefore(na) ? created : nb, na);
    }
  }

  /** Every CA row still in the bundle (state other than removed), oldest first. */
  List<StoredCa> stored(Connection c) throws SQLException {
    return stored(c, "state <> 'removed'");
  }

  /**
   * Intermediates removed from the bundle (a tainted one, forced out) that still have unexpired
   * certificates: their CRL and OCSP answers go on until those expire.
   */
  List<StoredCa> removedWithUnexpiredCertificates(Connection c) throws SQLException {
    return stored(c, "state = 'removed' AND kind = 'intermediate' AND (encrypted_key IS NOT NULL OR key_ref IS NOT NULL) AND not_after > now()"
        + " AND EXISTS (SELECT 1 FROM certificates l WHERE l.issuer_id = certificate_authorities.id AND l.not_after > now())");
  }

  private List<StoredCa> stored(Connection c, String where) throws SQLException {
    List<StoredCa> rows = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, kind, state, certificate_der, encrypted_key, key_algorithm, parent_id, cross_der, key_ref"
            + " FROM certificate_authorities WHERE " + where + " ORDER BY id")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byte[] cross = rs.getBytes(8);
          rows.add(new StoredCa(rs.getInt(1), rs.getString(2), CaState.of(rs.getString(3)), Pem.parseCertificate(rs.getBytes(4)),
              new CaKeys.Stored(rs.getString(5), rs.getString(9)), KeyAlgorithm.valueOf(rs.getString(6)), (Integer) rs.getObject(7),
              cross == null ? null : Pem.parseCertificate(cross)));
        }
      } catch (PkiException e) {
        throw new IllegalStateException("stored CA certificate does not parse: " + e.getMessage());
      }
    }
    return rows;
  }

  /**
   * Reads the CA rows in force and builds the snapshot: the active intermediate signs; the bundle
   * holds the roots and every intermediate not removed. Keys are decrypted once per row and kept.
   */
  public CertificateAuthority load() throws IOException, SQLException {
    List<StoredCa> rows;
    List<StoredCa> removed;
    long generation;
    long taintGeneration;
    try (Connection c = dataSource.getConnection()) {
      rows = stored(c);
      removed = removedWithUnexpiredCertificates(c);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT generation, taint_generation FROM ca_rotation WHERE id = 1")) {
        rs.next();
        generation = rs.getLong(1);
        taintGeneration = rs.getLong(2);
      }
    }
    List<X509Certificate> roots = new ArrayList<>();
    List<X509Certificate> intermediates = new ArrayList<>();
    Map<Integer, CertificateAuthority.Issuer> issuers = new LinkedHashMap<>();
    CertificateAuthority.Issuer active = null;
    Map<Integer, StoredCa> byId = new LinkedHashMap<>();
    rows.forEach(r -> byId.put(r.id(), r));
    for (StoredCa r : rows) {
      if (r.kind().equals("root")) {
        if (r.state() == CaState.ACTIVE) {
          roots.add(0, r.certificate());
        } else {
          roots.add(r.certificate());
        }
        continue;
      }
      if (!r.stored().held()) {
        continue; // an imported CA that was replaced: its key is in the operator's file, not here
      }
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(r.certificate());
      StoredCa parent = r.parentId() == null ? null : byId.get(r.parentId());
      if (parent != null && parent.cross() != null && rows.stream().anyMatch(
          x -> x.kind().equals("root") && x.certificate().getSubjectX500Principal().equals(parent.cross().getIssuerX500Principal()))) {
        chain.add(parent.cross()); // a path to the previous root, for clients that trust only that one
      }
      CertificateAuthority.Issuer issuer = new CertificateAuthority.Issuer(r.id(), r.state(), signingCa(r), chain);
      issuers.put(r.id(), issuer);
      if (r.state() == CaState.ACTIVE) {
        active = issuer;
        intermediates.add(0, r.certificate());
      } else {
        intermediates.add(r.certificate());
      }
    }
    for (StoredCa r : removed) {
      // not in the bundle, nor in chains: only for CRL, OCSP and the AIA URL of what it signed
      issuers.put(r.id(), new CertificateAuthority.Issuer(r.id(), CaState.REMOVED, signingCa(r), List.of(r.certificate())));
    }
    if (active == null) {
      throw new IllegalStateException("no active issuing CA in certificate_authorities");
    }
    List<X509Certificate> bundle = new ArrayList<>(roots);
    bundle.addAll(intermediates);
    return new CertificateAuthority(active.id(), active.ca(), active.chainAbove(), bundle, issuers, generation, taintGeneration);
  }

  private final Map<Integer, PrivateKey> keys = new java.util.concurrent.ConcurrentHashMap<>();

  /** The row's certificate and its key (decrypted, or looked up in the token, once). */
  SigningCa signingCa(StoredCa r) throws IOException {
    PrivateKey key = keys.get(r.id());
    if (key == null) {
      key = existingKeys().load(r.stored(), r.kind() + " CA " + r.id());
      keys.put(r.id(), key);
    }
    return new SigningCa(r.certificate(), key, r.algorithm());
  }

  /**
   * A freshly generated CA certificate with the key to sign with and how the key is stored
   * (encrypted for the database, or already a token object).
   */
  record NewCa(X509Certificate certificate, PrivateKey key, CaKeys.Stored stored, KeyAlgorithm algorithm) {}

  /**
   * A new issuing intermediate under {@code root}: valid from now (one minute back for clock skew
   * between replicas) for the configured lifetime, capped at the root's notAfter.
   */
  NewCa newIntermediate(SigningCa root) throws IOException {
    CaKeys caKeys = existingKeys();
    try {
      KeyAlgorithm alg = config.caKeyAlgorithm();
      Instant now = clock.instant();
      KeyPair keys = caKeys.generate(alg);
      X509Certificate cert = new CaBuilder(CryptoProviders.signing()).intermediate(keys, alg,
          new X500Name("CN=Rotor Issuing CA " + Serials.toHex(Serials.random()).substring(0, 8) + ",OU=" + config.trustDomain() + ",O=Rotor"),
          root, now.minus(backdate()), now.plus(config.intermediateTtl()),
          new NameConstraintsSpec(config.trustDomain(), permittedDnsForConstraints()));
      CaKeys.Stored stored = caKeys.store("rotor-issuing-" + Serials.toHex(cert.getSerialNumber()), keys, cert);
      return new NewCa(cert, caKeys.signingKey(stored, keys), stored, alg);
    } catch (PkiException e) {
      throw new IllegalStateException("cannot create an issuing CA: " + e.getMessage(), e);
    }
  }

  /** A new root with a cross-certificate from {@code oldRoot}, for a root rollover. */
  record NewRoot(NewCa root, X509Certificate cross) {}

  NewRoot newRoot(SigningCa oldRoot) throws IOException {
    CaKeys caKeys = existingKeys();
    try {
      KeyAlgorithm alg = config.caKeyAlgorithm();
      Instant now = clock.instant();
      KeyPair keys = caKeys.generate(alg);
      CaBuilder builder = new CaBuilder(CryptoProviders.signing());
      X509Certificate root = builder.root(keys, alg,
          new X500Name("CN=Rotor Root CA " + Serials.toHex(Serials.random()).substring(0, 8) + ",OU=" + config.trustDomain() + ",O=Rotor"),
          now.minus(backdate()), now.plus(config.rootTtl()));
      X509Certificate cross = builder.crossCertificate(root, oldRoot, now.minus(backdate()), now.plus(config.rootTtl()));
      CaKeys.Stored stored = caKeys.store("rotor-root-" + Serials.toHex(root.getSerialNumber()), keys, root);
      return new NewRoot(new NewCa(root, caKeys.signingKey(stored, keys), stored, alg), cross);
    } catch (PkiException e) {
      throw new IllegalStateException("cannot create a root: " + e.getMessage(), e);
    }
  }

  /** Clock-skew allowance of new CA certificates ({@link #CA_BACKDATE}). */
  private Duration backdate() {
    return CA_BACKDATE;
  }

  /** Remembers the key of a row this replica just created, so {@link #load()} need not decrypt it. */
  void remember(int id, PrivateKey key) {
    keys.put(id, key);
  }

  private void create() {
    CaKeys caKeys = newKeys();
    try {
      KeyAlgorithm alg = config.caKeyAlgorithm();
      CaBuilder builder = new CaBuilder(CryptoProviders.signing());
      Instant now = clock.instant();
      Instant notBefore = now.minus(backdate());
      KeyPair rootKeys = caKeys.generate(alg);
      X509Certificate root = builder.root(rootKeys, alg,
          new X500Name("CN=Rotor Root CA,OU=" + config.trustDomain() + ",O=Rotor"),
          notBefore, now.plus(config.rootTtl()));
      KeyPair issuingKeys = caKeys.generate(alg);
      Instant issuingNotAfter = min(now.plus(config.intermediateTtl()), root.getNotAfter().toInstant());
      SigningCa rootCa = new SigningCa(root, rootKeys.getPrivate(), alg);
      X509Certificate issuing = builder.intermediate(issuingKeys, alg,
          new X500Name("CN=Rotor Issuing CA " + Serials.toHex(Serials.random()).substring(0, 8) + ",OU=" + config.trustDomain() + ",O=Rotor"),
          rootCa, notBefore, issuingNotAfter,
          new NameConstraintsSpec(config.trustDomain(), permittedDnsForConstraints()));
      CaKeys.Stored rootKey = caKeys.store("rotor-root-" + Serials.toHex(root.getSerialNumber()), rootKeys, root);
      CaKeys.Stored issuingKey = caKeys.store("rotor-issuing-" + Serials.toHex(issuing.getSerialNumber()), issuingKeys, issuing);
      PrivateKey rootSigning = caKeys.signingKey(rootKey, rootKeys);
      PrivateKey issuingSigning = caKeys.signingKey(issuingKey, issuingKeys);
      journal.execute(tx -> {
        int rootId = insertCa(tx, "root", root, rootKey, alg, CaState.ACTIVE, null);
        remember(rootId, rootSigning);
        remember(insertCa(tx, "intermediate", issuing, issuingKey, alg, CaState.ACTIVE, rootId), issuingSigning);
        CaRotation.bumpGeneration(tx, false);
        return null;
      });
      log.info("ca created root=\"{}\" issuer=\"{}\" algorithm={} issuerNotAfter={} keys={}",
          root.getSubjectX500Principal().getName(), issuing.getSubjectX500Principal().getName(), alg, issuingNotAfter,
          caKeys.token().map(t -> "pkcs11 " + t.description()).orElse("database-encrypted"));
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
        try (PreparedStatement off = tx.connection().prepareStatement(
            "UPDATE certificate_authorities SET active = false, state = 'removed', removed_at = now() WHERE state <> 'removed'")) {
          off.executeUpdate();
        }
        Integer rootId = null;
        if (top != issuing) {
          rootId = insertCa(tx, "root", top, CaKeys.Stored.NONE, KeyAlgorithm.of(top.getPublicKey()), CaState.ACTIVE, null);
        }
        int imported = insertCa(tx, "intermediate", issuing, CaKeys.Stored.NONE, alg, CaState.ACTIVE, rootId);
        CaRotation.bumpGeneration(tx, false);
        return imported;
      });
      log.info("ca imported issuer=\"{}\" notAfter={}", issuing.getSubjectX500Principal().getName(), issuing.getNotAfter().toInstant());
    }
    return new CertificateAuthority(id, new SigningCa(issuing, key, alg), List.copyOf(above), List.of(top));
  }

  /** Inserts a CA row in {@code state} with its audit entry ({@code ca.created}, or {@code ca.imported} without a key). */
  int insertCa(Journal.Tx tx, String kind, X509Certificate cert, CaKeys.Stored stored, KeyAlgorithm alg, CaState state, Integer parentId)
      throws SQLException, com.fasterxml.jackson.core.JsonProcessingException {
    int id;
    try (PreparedStatement ps = tx.connection().prepareStatement(
        "INSERT INTO certificate_authorities (kind, subject, serial, certificate_der, encrypted_key, key_algorithm, not_before, not_after,"
            + " active, state, parent_id, activated_at, key_ref)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN now() END, ?) RETURNING id")) {
      ps.setString(1, kind);
      ps.setString(2, cert.getSubjectX500Principal().getName());
      ps.setString(3, Serials.toHex(cert.getSerialNumber()));
      ps.setBytes(4, encoded(cert));
      ps.setString(5, stored.encryptedKey());
      ps.setString(6, alg.name());
      ps.setTimestamp(7, Timestamp.from(cert.getNotBefore().toInstant()));
      ps.setTimestamp(8, Timestamp.from(cert.getNotAfter().toInstant()));
      ps.setBoolean(9, state == CaState.ACTIVE);
      ps.setString(10, state.wire());
      if (parentId == null) {
        ps.setNull(11, java.sql.Types.INTEGER);
      } else {
        ps.setInt(11, parentId);
      }
      ps.setBoolean(12, state == CaState.ACTIVE);
      ps.setString(13, stored.keyRef());
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
    details.put("keyStorage", stored.storage());
    if (stored.keyRef() != null) {
      details.put("keyRef", stored.keyRef());
    }
    details.put("state", state.wire());
    tx.audit("system", !stored.held() && kind.equals("intermediate") ? "ca.imported" : "ca.created",
        Serials.toHex(cert.getSerialNumber()), json.writeValueAsString(details));
    return id;
  }

  private Optional<CaRow> active(String kind) throws SQLException {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT id, certificate_der, encrypted_key, key_algorithm, key_ref FROM certificate_authorities WHERE kind = ? AND active")) {
      ps.setString(1, kind);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        X509Certificate cert = Pem.parseCertificate(rs.getBytes(2));
        return Optional.of(new CaRow(rs.getInt(1), cert, new CaKeys.Stored(rs.getString(3), rs.getString(5)),
            KeyAlgorithm.valueOf(rs.getString(4))));
      } catch (PkiException e) {
        throw new IllegalStateException("stored CA certificate does not parse: " + e.getMessage());
      }
    }
  }

  char[] existingPassphrase() throws IOException {
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
