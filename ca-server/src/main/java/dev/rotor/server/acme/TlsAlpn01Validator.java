package dev.rotor.server.acme;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * tls-alpn-01 (RFC 8737): a TLS handshake with SNI = the name (RFC 8738 §6: the reverse-DNS name
 * for an IP) and ALPN {@code acme-tls/1}; the self-signed certificate must name exactly that
 * identifier and carry the critical acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding
 * SHA-256 of the key authorization.
 */
public final class TlsAlpn01Validator implements ChallengeValidator {

  static final String ALPN = "acme-tls/1";
  static final String ACME_IDENTIFIER_OID = "1.3.6.1.5.5.7.1.31";

  private final HostResolver resolver;
  private final int port;
  private final SSLContext context;

  public TlsAlpn01Validator(HostResolver resolver, int port) throws Exception {
    this.resolver = resolver;
    this.port = port;
    this.context = SSLContext.getInstance("TLS");
    // The certificate is self-signed by design; it is checked below, not by PKIX.
    context.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
  }

  @Override
  public void validate(Identifier identifier, String token, String keyAuthorization) {
    InetAddress address = resolver.addresses(identifier.value()).get(0);
    String sni = identifier.type().equals(Identifier.IP) ? reverseName(address) : identifier.value();
    X509Certificate cert;
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(address, port), 5_000);
      socket.setSoTimeout(10_000);
      SSLParameters params = socket.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName(sni)));
      params.setApplicationProtocols(new String[] {ALPN});
      params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      socket.setSSLParameters(params);
      socket.startHandshake();
      if (!ALPN.equals(socket.getApplicationProtocol())) {
        throw new AcmeException(AcmeError.TLS, "the server did not negotiate ALPN " + ALPN);
      }
      cert = (X509Certificate) socket.getSession().getPeerCertificates()[0];
    } catch (IOException e) {
      throw new AcmeException(AcmeError.TLS, "TLS handshake with " + address.getHostAddress() + ":" + port + " failed: " + e.getMessage());
    }
    check(cert, identifier, keyAuthorization);
  }

  static void check(X509Certificate cert, Identifier identifier, String keyAuthorization) {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null || sans.size() != 1) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "the challenge certificate must have exactly one subjectAltName");
      }
      List<?> san = sans.iterator().next();
      int kind = (Integer) san.get(0);
      boolean matches = identifier.type().equals(Identifier.DNS)
          ? kind == 2 && identifier.value().equalsIgnoreCase((String) san.get(1))
          : kind == 7 && InetAddress.getByName((String) san.get(1)).equals(InetAddress.getByName(identifier.value()));
      if (!matches) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "the challenge certificate does not name " + identifier.value());
      }
    } catch (CertificateParsingException | IOException e) {
      throw new AcmeException(AcmeError.TLS, "the challenge certificate does not parse");
    }
    if (cert.getCriticalExtensionOIDs() == null || !cert.getCriticalExtensionOIDs().contains(ACME_IDENTIFIER_OID)) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the challenge certificate has no critical acmeIdentifier extension");
    }
    byte[] ext = cert.getExtensionValue(ACME_IDENTIFIER_OID);
    byte[] digest = sha256(keyAuthorization);
    // extnValue OCTET STRING wrapping the DER OCTET STRING of 32 bytes: 04 22 04 20 <digest>
    if (ext == null || ext.length != 36 || ext[0] != 0x04 || ext[1] != 34 || ext[2] != 0x04 || ext[3] != 32
        || !MessageDigest.isEqual(Arrays.copyOfRange(ext, 4, 36), digest)) {
      throw new AcmeException(AcmeError.INCORRECT_RESPONSE, "the acmeIdentifier extension does not match the key authorization");
    }
  }

  private static String reverseName(InetAddress a) {
    byte[] b = a.getAddress();
    StringBuilder s = new StringBuilder();
    if (b.length == 4) {
      for (int i = 3; i >= 0; i--) {
        s.append(b[i] & 0xff).append('.');
      }
      return s.append("in-addr.arpa").toString();
    }
    for (int i = 15; i >= 0; i--) {
      s.append(Character.forDigit(b[i] & 0xf, 16)).append('.').append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append('.');
    }
    return s.append("ip6.arpa").toString();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
