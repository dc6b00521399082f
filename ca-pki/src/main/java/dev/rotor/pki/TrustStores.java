package dev.rotor.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A trust store, or a client TLS context, holding exactly the given anchors (a Rotor CA bundle). */
public final class TrustStores {

  private TrustStores() {}

  public static KeyStore keyStore(Collection<? extends Certificate> anchors) throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try {
      ks.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot create an empty key store", e);
    }
    int i = 0;
    for (Certificate c : anchors) {
      ks.setCertificateEntry("anchor-" + i++, c);
    }
    return ks;
  }

  /** A client TLS context that trusts only {@code anchors} (no client certificate). */
  public static SSLContext clientContext(Collection<? extends Certificate> anchors) throws GeneralSecurityException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keyStore(anchors));
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
