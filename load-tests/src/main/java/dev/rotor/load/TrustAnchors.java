package dev.rotor.load;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The certificates the run trusts: a PEM bundle given with {@code --cacert}, or the server's own
 * {@code /ca/bundle.pem} fetched once without verification (trust on first use), which is how an
 * operator bootstraps against a fresh server whose HTTPS certificate its own CA issued.
 */
record TrustAnchors(List<X509Certificate> certificates, byte[] pem) {

  TrustAnchors {
    certificates = List.copyOf(certificates);
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("the bundle holds no certificates");
    }
  }

  /** Parses a bundle of concatenated PEM certificates. */
  static TrustAnchors fromPem(byte[] pem) throws CertificateException {
    List<X509Certificate> certs = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(pem)).stream()
        .map(X509Certificate.class::cast)
        .toList();
    return new TrustAnchors(certs, pem.clone());
  }

  /**
   * Fetches {@code <baseUrl>/ca/bundle.pem} with a client that accepts any server certificate.
   * Only the bundle travels over that unverified connection; the load runs over connections
   * verified against it.
   */
  static TrustAnchors fetchTrustOnFirstUse(String baseUrl) throws Exception {
    SslContextFactory.Client trustAll = new SslContextFactory.Client(true);
    trustAll.setEndpointIdentificationAlgorithm(null);
    HttpClient client = Http.newClient(trustAll, "rotor-load-tofu");
    Http.start(client);
    try {
      ContentResponse response =
          client.newRequest(baseUrl + "/ca/bundle.pem").timeout(30, TimeUnit.SECONDS).send();
      if (response.getStatus() != 200) {
        throw new IOException("GET " + baseUrl + "/ca/bundle.pem answered "
            + response.getStatus() + ": " + Http.abbreviate(response.getContentAsString()));
      }
      return fromPem(response.getContent());
    } finally {
      client.stop();
    }
  }

  /** SHA-256 over the DER encoding, upper-case hex pairs separated by colons (openssl style). */
  static String fingerprint(X509Certificate cert) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  KeyStore keyStore() throws GeneralSecurityException, IOException {
    return dev.rotor.pki.TrustStores.keyStore(certificates);
  }

  /** Jetty TLS settings trusting only these anchors, with host name verification. */
  SslContextFactory.Client jettyTls() throws GeneralSecurityException, IOException {
    SslContextFactory.Client tls = new SslContextFactory.Client();
    tls.setTrustStore(keyStore());
    tls.setEndpointIdentificationAlgorithm("HTTPS");
    return tls;
  }

  /** Trust managers accepting only these anchors. */
  TrustManager[] sslContextTrustManagers() throws GeneralSecurityException, IOException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keyStore());
    return tmf.getTrustManagers();
  }

  /** A JSSE context trusting only these anchors, for the JDK HttpClient. */
  SSLContext sslContext() throws GeneralSecurityException, IOException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keyStore());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
