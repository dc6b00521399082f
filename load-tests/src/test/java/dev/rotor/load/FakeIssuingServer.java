package dev.rotor.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import dev.rotor.pki.CryptoProviders;

/**
 * A small stand-in for the issuance API, for testing the load tool end to end on port 0: its own
 * CA (the HTTPS certificate is issued by it, SAN 127.0.0.1), {@code /ca/bundle.pem}, and
 * {@code POST /api/v1/certificates} that checks the bearer token, verifies the CSR's signature,
 * requires exactly one SPIFFE URI SAN and signs a real certificate. Listing pages through the
 * recorded serials in order with the last serial as cursor. {@code loseEvery(n)} makes it forget
 * every n-th certificate after answering 201, which is what the serial check exists to catch.
 */
final class FakeIssuingServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "changeit";

  private final String token;
  private final int loseEvery;
  private volatile String cannedCertificate;
  private final Server server = new Server();
  private final ServerConnector connector;
  private final KeyPair caKeys;
  private final X509Certificate caCert;
  private final String caPem;
  private final NavigableSet<String> recorded = new ConcurrentSkipListSet<>();
  private final AtomicLong issued = new AtomicLong();
  private final SecureRandom random = new SecureRandom();

  FakeIssuingServer(String token, int loseEvery) throws Exception {
    this.token = token;
    this.loseEvery = loseEvery;
    var provider = CryptoProviders.signing();
    caKeys = CsrPool.keyPairGenerator(provider).generateKeyPair();
    X500Name caName = new X500Name("CN=Fake Rotor CA");
    Instant now = Instant.now();
    caCert = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.ONE,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), caName,
        caKeys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true)));
    caPem = pem(caCert);

    KeyPair tlsKeys = CsrPool.keyPairGenerator(provider).generateKeyPair();
    X509Certificate tlsCert = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.TWO,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))),
        new X500Name("CN=localhost"), tlsKeys.getPublic())
        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")})));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("tls", tlsKeys.getPrivate(), PASSWORD.toCharArray(),
        new X509Certificate[] {tlsCert, caCert});

    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setKeyStore(ks);
    tls.setKeyStorePassword(PASSWORD);
    HttpConfiguration http = new HttpConfiguration();
    http.addCustomizer(new SecureRequestCustomizer(false));
    connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"),
        new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(new Api());
    server.start();
  }

  String url() {
    return "https://127.0.0.1:" + connector.getLocalPort();
  }

  String caPem() {
    return caPem;
  }

  long issued() {
    return issued.get();
  }

  int recordedCount() {
    return recorded.size();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  private X509Certificate sign(X509v3CertificateBuilder builder) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(builder.build(
        new JcaContentSignerBuilder("SHA256withECDSA").setProvider(CryptoProviders.signing())
            .build(caKeys.getPrivate())));
  }

  private static String pem(Object o) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o);
    }
    return w.toString();
  }

  private final class Api extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String path = Request.getPathInContext(request);
      if (path.equals("/ca/bundle.pem") && request.getMethod().equals("GET")) {
        return reply(response, callback, 200, "application/x-pem-file", caPem);
      }
      if (!path.startsWith("/api/v1/certificates")) {
        return reply(response, callback, 404, "text/plain", "not found");
      }
      if (!("Bearer " + token).equals(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
        return reply(response, callback, 401, "application/problem+json",
            "{\"title\":\"unauthorized\"}");
      }
      if (path.equals("/api/v1/certificates") && request.getMethod().equals("POST")
          && cannedCertificate != null) {
        return issueCanned(Content.Source.asString(request, StandardCharsets.UTF_8), response,
            callback);
      }
      if (path.equals("/api/v1/certificates") && request.getMethod().equals("POST")) {
        return issue(Content.Source.asString(request, StandardCharsets.UTF_8), response,
            callback);
      }
      if (path.equals("/api/v1/certificates") && request.getMethod().equals("GET")) {
        return list(Request.extractQueryParameters(request), response, callback);
      }
      String serial = URLDecoder.decode(path.substring("/api/v1/certificates/".length()),
          StandardCharsets.UTF_8);
      return recorded.contains(serial)
          ? reply(response, callback, 200, "application/json", "{\"serial\":\"" + serial + "\"}")
          : reply(response, callback, 404, "application/problem+json", "{\"title\":\"no\"}");
    }

    private boolean issue(String body, Response response, Callback callback) throws Exception {
      JsonNode req = JSON.readTree(body);
      Object parsed = new PEMParser(new StringReader(req.path("csr").asText())).readObject();
      if (!(parsed instanceof PKCS10CertificationRequest csr)
          || !csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
              .setProvider(CryptoProviders.bouncyCastle()).build(csr.getSubjectPublicKeyInfo()))) {
        return reply(response, callback, 400, "application/problem+json",
            "{\"title\":\"bad csr\"}");
      }
      var attrs = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
      GeneralNames sans = GeneralNames.fromExtensions(
          Extensions.getInstance(attrs[0].getAttrValues().getObjectAt(0)),
          Extension.subjectAlternativeName);
      if (sans.getNames().length != 1
          || sans.getNames()[0].getTagNo() != GeneralName.uniformResourceIdentifier) {
        return reply(response, callback, 400, "application/problem+json",
            "{\"title\":\"want one URI SAN\"}");
      }
      PublicKey key = new JcaPKCS10CertificationRequest(csr)
          .setProvider(CryptoProviders.bouncyCastle()).getPublicKey();
      BigInteger serialNumber = new BigInteger(128, random);
      Instant now = Instant.now();
      X509Certificate cert = sign(new JcaX509v3CertificateBuilder(
          caCert.getSubjectX500Principal(), serialNumber, Date.from(now.minusSeconds(30)),
          Date.from(now.plusSeconds(req.path("ttlSeconds").asInt(900))),
          new javax.security.auth.x500.X500Principal(""), key)
          .addExtension(Extension.subjectAlternativeName, true, sans));
      String serial = serialNumber.toString(16);
      long n = issued.incrementAndGet();
      if (loseEvery == 0 || n % loseEvery != 0) {
        recorded.add(serial);
      }
      ObjectNode out = JSON.createObjectNode();
      out.put("serial", serial);
      out.put("certificate", pem(cert));
      out.put("chain", caPem);
      out.put("notBefore", cert.getNotBefore().toInstant().toString());
      out.put("notAfter", cert.getNotAfter().toInstant().toString());
      out.putArray("sans").add(sans.getNames()[0].getName().toString());
      return reply(response, callback, 201, "application/json", JSON.writeValueAsString(out));
    }

    /** Same shape and size as {@link #issue}, without the crypto: for measuring the client. */
    private boolean issueCanned(String body, Response response, Callback callback)
        throws Exception {
      if (!body.contains("BEGIN CERTIFICATE REQUEST")) {
        return reply(response, callback, 400, "application/problem+json", "{\"title\":\"no csr\"}");
      }
      String serial = new BigInteger(128, random).toString(16);
      recorded.add(serial);
      issued.incrementAndGet();
      ObjectNode out = JSON.createObjectNode();
      out.put("serial", serial);
      out.put("certificate", cannedCertificate);
      out.put("chain", caPem);
      out.put("notBefore", "2026-01-01T00:00:00Z");
      out.put("notAfter", "2026-01-01T00:15:00Z");
      out.putArray("sans").add("spiffe://rotor.local/ns/load/sa/bench-0");
      return reply(response, callback, 201, "application/json", JSON.writeValueAsString(out));
    }

    private boolean list(Fields query, Response response, Callback callback) throws Exception {
      int limit = Integer.parseInt(query.getValue("limit") == null ? "100"
          : query.getValue("limit"));
      String cursor = query.getValue("cursor");
      NavigableSet<String> rest = cursor == null ? recorded : recorded.tailSet(cursor, false);
      ObjectNode out = JSON.createObjectNode();
      ArrayNode items = out.putArray("items");
      String last = null;
      for (String s : rest) {
        if (items.size() == limit) {
          break;
        }
        items.addObject().put("serial", s);
        last = s;
      }
      if (last != null && recorded.higher(last) != null) {
        out.put("next", last);
      } else {
        out.putNull("next");
      }
      return reply(response, callback, 200, "application/json", JSON.writeValueAsString(out));
    }

    private boolean reply(Response response, Callback callback, int status, String type,
        String body) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      Content.Sink.write(response, true, body, callback);
      return true;
    }
  }

  /**
   * Answers every issuance with the same pre-signed certificate (fresh serials), so that the
   * server costs little and a run measures the client. The listing and lookups still work.
   */
  FakeIssuingServer canned() throws Exception {
    cannedCertificate = pem(caCert);
    return this;
  }

  /**
   * For trying the tool by hand: {@code FakeIssuingServer [token] [canned]} prints the URL and
   * serves until killed.
   */
  public static void main(String[] args) throws Exception {
    FakeIssuingServer s = new FakeIssuingServer(args.length > 0 ? args[0] : "t", 0);
    if (args.length > 1 && args[1].equals("canned")) {
      s.canned();
    }
    System.out.println(s.url());
    System.out.flush();
    Thread.currentThread().join();
  }
}
