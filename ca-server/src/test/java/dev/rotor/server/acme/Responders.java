package dev.rotor.server.acme;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Challenge responders on loopback, as an ingress controller would run them. */
final class Responders {

  private Responders() {}

  /** http-01: serves {@code /.well-known/acme-challenge/<token>} from a map. */
  static final class Http01 implements AutoCloseable {
    final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final HttpServer server;

    Http01() throws Exception {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.createContext("/.well-known/acme-challenge/", ex -> {
        String token = ex.getRequestURI().getPath().substring("/.well-known/acme-challenge/".length());
        String body = tokens.get(token);
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.US_ASCII);
        ex.sendResponseHeaders(body == null ? 404 : 200, b.length == 0 ? -1 : b.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(b);
        }
      });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** tls-alpn-01: answers ALPN acme-tls/1 with the one certificate currently set. */
  static final class TlsAlpn01 implements AutoCloseable {
    private final java.net.ServerSocket sockets;
    private final Thread thread;
    private volatile SSLContext context;

    TlsAlpn01() throws Exception {
      this.sockets = new java.net.ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      thread = Thread.ofPlatform().daemon(true).name("tls-alpn-responder").start(this::run);
    }

    void set(KeyPair key, X509Certificate cert) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("c", key.getPrivate(), "pw".toCharArray(), new X509Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "pw".toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      context = ctx;
    }

    int port() {
      return sockets.getLocalPort();
    }

    private void run() {
      while (!sockets.isClosed()) {
        try (java.net.Socket plain = sockets.accept()) {
          SSLContext ctx = context;
          if (ctx == null) {
            continue;
          }
          SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, null, plain.getPort(), false);
          s.setUseClientMode(false);
          SSLParameters p = s.getSSLParameters();
          p.setApplicationProtocols(new String[] {"acme-tls/1"});
          s.setSSLParameters(p);
          s.setSoTimeout(5_000);
          s.startHandshake();
          s.close();
        } catch (Exception e) {
          // a failed handshake is the validator's problem to report
        }
      }
    }

    @Override
    public void close() throws Exception {
      sockets.close();
      thread.join(2_000);
    }
  }

  /** dns-01: a UDP DNS server answering TXT queries from a map (dnsjava's message classes). */
  static final class Dns implements AutoCloseable {
    final Map<String, List<String>> txt = new ConcurrentHashMap<>();
    private final DatagramSocket socket;
    private final Thread thread;

    Dns() throws Exception {
      socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
      thread = Thread.ofPlatform().daemon(true).name("dns-responder").start(this::run);
    }

    int port() {
      return socket.getLocalPort();
    }

    private void run() {
      byte[] buf = new byte[4096];
      while (!socket.isClosed()) {
        try {
          DatagramPacket packet = new DatagramPacket(buf, buf.length);
          socket.receive(packet);
          Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
          Record q = query.getQuestion();
          Message answer = new Message(query.getHeader().getID());
          answer.getHeader().setFlag(Flags.QR);
          answer.getHeader().setFlag(Flags.AA);
          answer.addRecord(q, Section.QUESTION);
          String name = q.getName().toString(true).toLowerCase(java.util.Locale.ROOT);
          List<String> values = txt.get(name);
          if (values == null) {
            answer.getHeader().setRcode(Rcode.NXDOMAIN);
          } else if (q.getType() == Type.TXT) {
            for (String v : values) {
              answer.addRecord(new TXTRecord(q.getName(), DClass.IN, 60, v), Section.ANSWER);
            }
          }
          byte[] out = answer.toWire();
          socket.send(new DatagramPacket(out, out.length, packet.getSocketAddress()));
        } catch (Exception e) {
          // closed, or a malformed query: ignore
        }
      }
    }

    @Override
    public void close() throws Exception {
      socket.close();
      thread.join(2_000);
    }
  }
}
