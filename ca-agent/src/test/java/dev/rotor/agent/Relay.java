package dev.rotor.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A loopback TCP relay between an agent and the server, under the test's control: it copies bytes
 * both ways, one virtual thread per direction of each connection, and knows nothing of what they
 * say (TLS stays end to end between the agent and the server).
 *
 * <p>{@link #arm} makes it lose one response: the first server-to-client bytes on a connection
 * whose client has sent bytes since the arming, at a moment when {@code answered} is true, are
 * dropped and both sides of that connection closed, so the server has done its work and the client
 * receives nothing of the answer. Then it is disarmed. Answers to requests sent before the arming
 * (a long poll in progress) and bytes the server sends before {@code answered} holds (handshakes,
 * session tickets, other answers) pass.
 */
final class Relay implements AutoCloseable {

  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  /** The condition of the armed relay; null while disarmed. */
  private final AtomicReference<Arming> armed = new AtomicReference<>();
  private volatile CountDownLatch cut = new CountDownLatch(1);

  private record Arming(BooleanSupplier answered) {}

  /** One relayed connection; {@code sent} is the arming its client last sent bytes under. */
  private static final class Link {
    final Socket client;
    final Socket server;
    volatile Arming sent;

    Link(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }
  }

  Relay(InetSocketAddress target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("relay-accept").start(this::accept);
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Loses the next response that follows a request sent from now on and finds {@code answered} true. */
  void arm(BooleanSupplier answered) {
    cut = new CountDownLatch(1);
    armed.set(new Arming(answered));
  }

  /** Waits until the armed relay has cut a connection. */
  boolean awaitCut(Duration timeout) throws InterruptedException {
    return cut.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void accept() {
    while (!listener.isClosed()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      sockets.add(client);
      try {
        Socket server = new Socket(target.getAddress(), target.getPort());
        sockets.add(server);
        Link link = new Link(client, server);
        Thread.ofVirtual().name("relay-up").start(() -> up(link));
        Thread.ofVirtual().name("relay-down").start(() -> down(link));
      } catch (IOException e) {
        close(client);
      }
    }
  }

  /** Client to server: copied, noting that the client spoke while armed. */
  private void up(Link link) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = link.client.getInputStream(); OutputStream out = link.server.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        Arming a = armed.get();
        if (a != null) {
          link.sent = a;
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side went away: end the link
    } finally {
      close(link);
    }
  }

  /** Server to client: copied, unless this is the response the armed relay is to lose. */
  private void down(Link link) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = link.server.getInputStream(); OutputStream out = link.client.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        Arming a = armed.get();
        if (a != null && link.sent == a && a.answered().getAsBoolean() && armed.compareAndSet(a, null)) {
          close(link);
          cut.countDown();
          return;
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side went away: end the link
    } finally {
      close(link);
    }
  }

  private void close(Link link) {
    close(link.client);
    close(link.server);
  }

  private void close(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : Set.copyOf(sockets)) {
      close(s);
    }
  }
}
