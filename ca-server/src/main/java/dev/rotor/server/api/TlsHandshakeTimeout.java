package dev.rotor.server.api;

import java.time.Duration;
import javax.net.ssl.SSLException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;

/**
 * Bounds the TLS handshake separately from the connector's idle timeout.
 *
 * <p>The HTTPS connector keeps idle connections for 65 s (agents long-poll the revocation feed for
 * up to 55 s), and Jetty has no handshake timeout of its own, so a client that opens connections
 * and never finishes a handshake (slow loris) would hold each for 65 s. Added to the connector as
 * a bean, this shortens a new TLS connection's idle timeout to the handshake limit and restores the
 * connector's once the handshake succeeds.
 */
public final class TlsHandshakeTimeout implements Connection.Listener {

  private final long handshakeMillis;
  private final long idleMillis;

  /**
   * @param handshake the longest a handshake may be idle (no bytes in either direction)
   * @param idle the connector's idle timeout, restored after the handshake
   */
  public TlsHandshakeTimeout(Duration handshake, Duration idle) {
    this.handshakeMillis = handshake.toMillis();
    this.idleMillis = idle.toMillis();
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof SslConnection ssl) {
      EndPoint network = ssl.getEndPoint();
      network.setIdleTimeout(handshakeMillis);
      ssl.addHandshakeListener(new SslHandshakeListener() {
        @Override
        public void handshakeSucceeded(Event event) throws SSLException {
          network.setIdleTimeout(idleMillis);
        }
      });
    }
  }

  @Override
  public void onClosed(Connection connection) {
    // nothing to undo
  }
}
