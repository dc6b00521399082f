package dev.rotor.agent.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.Pem;
import dev.rotor.server.RotorServer;
import dev.rotor.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** A real Rotor CA server in-process (embedded PostgreSQL, HTTPS on a free port) for the proxy tests. */
final class RotorCa implements AutoCloseable {

  static final String ADMIN = "rotor_proxy-it-admin-token-0123456789abcdef";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final RotorServer server;
  private final List<X509Certificate> bundle;
  private final HttpClient http;

  RotorCa(Map<String, Object> overrides) throws Exception {
    dir = Files.createTempDirectory("rotor-proxy-it-");
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("ROTOR_DATA_DIR", dir.toString());
    s.put("ROTOR_HTTPS_PORT", 0);
    s.put("ROTOR_HTTP_PORT", 0);
    s.put("ROTOR_BIND", "127.0.0.1");
    s.put("ROTOR_ADMIN_TOKEN", ADMIN);
    s.put("ROTOR_KUBERNETES", "off");
    s.putAll(overrides);
    server = RotorServer.start(ServerConfig.fromMap(s));
    bundle = Pem.parseCertificates(server.ca().bundlePem());
    http = client(null, null);
  }

  URI url() {
    return URI.create("https://localhost:" + server.httpsPort());
  }

  List<X509Certificate> bundle() {
    return bundle;
  }

  static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static String csr(KeyPair keys) throws Exception {
    return Pem.encode("CERTIFICATE REQUEST", new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded());
  }

  JsonNode post(HttpClient client, String path, String token, Map<String, Object> body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(url().resolve(path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** A workload certificate for {@code spiffeId} through the REST API (the CSR carries the name). */
  TlsIdentity workload(String spiffeId, Integer ttlSeconds, String profile) throws Exception {
    KeyPair k = keys();
    String csr = Pem.encode("CERTIFICATE REQUEST", new JcaPKCS10CertificationRequestBuilder(new X500Name(""), k.getPublic())
        .addAttribute(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, sanExtension(spiffeId))
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())).getEncoded());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", csr);
    body.put("profile", profile);
    if (ttlSeconds != null) {
      body.put("ttlSeconds", ttlSeconds);
    }
    JsonNode j = post(http, "/api/v1/certificates", ADMIN, body);
    return new TlsIdentity(k.getPrivate(), Pem.parseCertificates(j.get("chain").asText()));
  }

  private static org.bouncycastle.asn1.x509.Extensions sanExtension(String uri) throws IOException {
    org.bouncycastle.asn1.x509.ExtensionsGenerator g = new org.bouncycastle.asn1.x509.ExtensionsGenerator();
    g.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, true,
        new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
            org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier, uri)));
    return g.generate();
  }

  void revoke(String serial) throws Exception {
    post(http, "/api/v1/certificates/" + serial + "/revoke", ADMIN, Map.of("reason", "keyCompromise"));
  }

  /** An agent's mTLS client (join-token attestation), for following the revocation feed. */
  HttpClient agentClient(String node) throws Exception {
    JsonNode t = post(http, "/api/v1/join-tokens", ADMIN, Map.of("node", node));
    KeyPair k = keys();
    JsonNode a = post(http, "/agent/v1/attest", null, Map.of("method", "join", "token", t.get("token").asText(), "csr", csr(k)));
    return client(k.getPrivate(), Pem.parseCertificates(a.get("chain").asText()));
  }

  private HttpClient client(PrivateKey key, List<X509Certificate> chain) throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    for (int i = 0; i < bundle.size(); i++) {
      ts.setCertificateEntry("ca" + i, bundle.get(i));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    KeyManagerFactory kmf = null;
    if (key != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("me", key, "pw".toCharArray(), chain.toArray(new X509Certificate[0]));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "pw".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public void close() throws IOException {
    server.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
