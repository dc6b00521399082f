package dev.rotor.server.ca;

import dev.rotor.pki.KeyAlgorithm;
import dev.rotor.pki.Pem;
import dev.rotor.pki.SubjectNames;
import dev.rotor.server.Metrics;
import dev.rotor.server.issuance.Channel;
import dev.rotor.server.issuance.IssuanceRequest;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.issuance.IssuedCertificate;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import dev.rotor.server.ServerConfig;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own HTTPS certificate: issued by its CA through the one issuance door at start
 * (SANs {@code localhost}, {@code 127.0.0.1} and {@code ROTOR_HOSTNAMES}), renewed at two thirds
 * of its lifetime, and swapped into Jetty with {@link SslContextFactory#reload} so new handshakes
 * get the new certificate while open connections carry on.
 */
public final class ServerCertificate implements AutoCloseable {

  /** The internal profile name; only {@link Channel#SYSTEM} may use it. */
  public static final String PROFILE = "server";
  private static final Logger log = LoggerFactory.getLogger(ServerCertificate.class);
  private static final char[] STORE_PASSWORD = "rotor-in-memory".toCharArray();

  private final IssuanceService issuance;
  private final ActiveCa ca;
  private final List<String> hostnames;
  private final Clock clock;
  private final Metrics metrics;
  /**
   * Key exchange on the NIST curves only: with the native provider installed for TLS, ECDHE on
   * P-256 runs in AWS-LC, while the JDK's X25519 is pure Java and cost the agent fleet benchmark
   * about an eighth of the server's Java time in handshakes. Every TLS client offers P-256.
   */
  static final String[] NAMED_GROUPS = {"secp256r1", "secp384r1"};

  private final SslContextFactory.Server ssl = new SslContextFactory.Server() {
    @Override
    public void customize(javax.net.ssl.SSLEngine engine) {
      super.customize(engine);
      javax.net.ssl.SSLParameters p = engine.getSSLParameters();
      p.setNamedGroups(NAMED_GROUPS);
      engine.setSSLParameters(p);
    }
  };
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("rotor-server-cert").daemon(true).factory());
  private volatile IssuedCertificate current;
  private volatile int signedBy;

  public ServerCertificate(IssuanceService issuance, ActiveCa ca, List<String> hostnames, Clock clock, Metrics metrics) {
    this.issuance = issuance;
    this.ca = ca;
    this.hostnames = hostnames;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** The DNS names and IPs the certificate carries. */
  public static SubjectNames names(List<String> hostnames) {
    Set<String> dns = new LinkedHashSet<>(List.of("localhost"));
    Set<InetAddress> ips = new LinkedHashSet<>();
    try {
      ips.add(InetAddress.getByName("127.0.0.1"));
      for (String h : hostnames) {
        if (ServerConfig.isIpLiteral(h)) {
          ips.add(InetAddress.getByName(h)); // a literal: no lookup happens
        } else {
          dns.add(h);
        }
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("ROTOR_HOSTNAMES: not an IP address: " + e.getMessage());
    }
    return SubjectNames.of(List.copyOf(dns), List.copyOf(ips), List.of());
  }

  /** Issues the first certificate and configures the TLS context; call before Jetty starts. */
  public SslContextFactory.Server start() throws Exception {
    Issued issued = issueNew();
    IssuedCertificate cert = issued.cert();
    ssl.setKeyStore(keyStore(cert, issued.keys()));
    ssl.setKeyStorePassword(new String(STORE_PASSWORD));
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    // Agents authenticate with their certificates (mTLS) on this same port; everyone else
    // (browsers, REST clients with bearer tokens) simply sends none: "want", never "need".
    ssl.setWantClientAuth(true);
    ssl.setTrustStore(trustStore());
    current = cert;
    schedule(cert);
    return ssl;
  }

  /**
   * Follows a CA change: the trust store takes the new bundle, and a new certificate from the new
   * issuing CA replaces the current one at once (so the server's own certificate never depends on
   * a CA that is leaving the bundle).
   */
  public void caChanged(CertificateAuthority snapshot) {
    try {
      KeyStore ts = trustStore();
      ssl.reload(f -> f.setTrustStore(ts));
    } catch (Exception e) {
      log.warn("server trust store reload failed error={}", e.toString());
    }
    if (snapshot.issuerId() != signedBy) {
      scheduler.execute(this::renew);
    }
  }

  private record Issued(IssuedCertificate cert, KeyPair keys) {}

  private Issued issueNew() throws Exception {
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    SubjectNames names = names(hostnames);
    String csr = csr(keys, names);
    int issuer = ca.current().issuerId();
    IssuedCertificate cert = issuance.issue(new IssuanceRequest(csr, Optional.of(names), PROFILE, null, "system", Channel.SYSTEM));
    signedBy = issuer;
    return new Issued(cert, keys);
  }

  private void schedule(IssuedCertificate cert) {
    // Two thirds of the life left from now, not from the backdated notBefore: a certificate capped
    // at a CA's notAfter (the last days of an issuing CA) would otherwise be renewed at once, again and again.
    Instant now = clock.instant();
    Instant from = now.isAfter(cert.notBefore()) && now.isBefore(cert.notAfter()) ? now : cert.notBefore();
    Duration life = Duration.between(from, cert.notAfter());
    Instant renewAt = from.plus(life.multipliedBy(2).dividedBy(3));
    long delay = Math.max(0, Duration.between(clock.instant(), renewAt).toMillis());
    scheduler.schedule(this::renew, delay, TimeUnit.MILLISECONDS);
  }

  private void renew() {
    try {
      Issued issued = issueNew();
      IssuedCertificate cert = issued.cert();
      KeyStore ks = keyStore(cert, issued.keys());
      ssl.reload(f -> f.setKeyStore(ks));
      current = cert;
      metrics.serverCertificateRenewal("renewed");
      log.info("server certificate renewed serial={} notAfter={}", cert.serialHex(), cert.notAfter());
      schedule(cert);
    } catch (Exception e) {
      metrics.serverCertificateRenewal("failed");
      Duration left = Duration.between(clock.instant(), current.notAfter());
      long retry = Math.max(1_000, Math.min(30_000, left.toMillis() / 10));
      log.warn("server certificate renewal failed, retrying retryMs={} error={}", retry, e.toString());
      scheduler.schedule(this::renew, retry, TimeUnit.MILLISECONDS);
    }
  }

  /** The certificate in use for new handshakes. */
  public IssuedCertificate current() {
    return current;
  }

  /** True while the certificate in use has not expired. */
  public boolean isValid() {
    IssuedCertificate c = current;
    return c != null && clock.instant().isBefore(c.notAfter());
  }

  /** The trust anchors client certificates must chain to: the CA's bundle. */
  private KeyStore trustStore() throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    int i = 0;
    for (java.security.cert.X509Certificate anchor : ca.current().bundle()) {
      ts.setCertificateEntry("anchor-" + i++, anchor);
    }
    return ts;
  }

  private KeyStore keyStore(IssuedCertificate cert, KeyPair keys) throws Exception {
    List<Certificate> chain = new ArrayList<>();
    // The chain the certificate was issued with (its issuing CA, whichever was active then).
    chain.addAll(Pem.parseCertificates(cert.chainPem()));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("rotor", keys.getPrivate(), STORE_PASSWORD, chain.toArray(new Certificate[0]));
    return ks;
  }

  private static String csr(KeyPair keys, SubjectNames names) throws Exception {
    List<GeneralName> gns = new ArrayList<>();
    for (String d : names.dns()) {
      gns.add(new GeneralName(GeneralName.dNSName, d));
    }
    for (InetAddress ip : names.ips()) {
      gns.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress()));
    }
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(gns.toArray(new GeneralName[0])));
    PKCS10CertificationRequest req = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    return Pem.encode("CERTIFICATE REQUEST", req.getEncoded());
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

}
