package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The size and time limits in front of the parsers, over the real HTTPS port: a declared 10 MB body
 * is refused before it is read, deeply nested JSON is a 400, and a TLS handshake that never
 * finishes is closed after {@link RotorServer#TLS_HANDSHAKE_TIMEOUT} while a finished one keeps the
 * longer keep-alive.
 */
class ParserLimitsIT {

  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static SSLSocket tls() throws Exception {
    SSLSocket s = (SSLSocket) TestServer.sslContext(server.bundle()).getSocketFactory()
        .createSocket("localhost", server.https("/").getPort());
    s.setSoTimeout(30_000);
    s.startHandshake();
    return s;
  }

  private static String statusLine(Socket s) throws Exception {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
  }

  @Test
  void aDeclaredTenMegabyteBodyIs413BeforeItIsSent() throws Exception {
    try (SSLSocket s = tls()) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /api/v1/certificates HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TestServer.ADMIN_TOKEN
          + "\r\nContent-Type: application/json\r\nContent-Length: " + (10 * 1024 * 1024) + "\r\n\r\n{\"csr\":\"")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(statusLine(s)).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void deeplyNestedJsonIs400() throws Exception {
    // A typed REST body stops at the first token of the wrong type; still a 400.
    String body = "{\"csr\":" + "[".repeat(2000) + "]".repeat(2000) + "}";
    TestServer.Reply r = server.send("POST", "/api/v1/certificates", TestServer.ADMIN_TOKEN, "application/json", body);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("type").asText()).isEqualTo("urn:rotor:problem:malformed-request");

    // ACME reads the JWS as a tree: 100 levels pass Jackson's default (1000) but not Rotor's 32.
    String jws = "{\"protected\":" + "[".repeat(100) + "]".repeat(100) + "}";
    TestServer.Reply a = server.send("POST", "/acme/acme/new-account", null, "application/jose+json", jws);
    assertThat(a.status()).as(a.body()).isEqualTo(400);
    assertThat(a.json().get("type").asText()).isEqualTo("urn:ietf:params:acme:error:malformed");
    assertThat(a.json().get("detail").asText()).contains("nesting depth");
    // 20 levels are fine as JSON (and then refused as not being a JWS).
    String shallow = "{\"protected\":" + "[".repeat(20) + "]".repeat(20) + "}";
    TestServer.Reply b = server.send("POST", "/acme/acme/new-account", null, "application/jose+json", shallow);
    assertThat(b.status()).isEqualTo(400);
    assertThat(b.json().get("detail").asText()).doesNotContain("nesting depth");
  }

  @Test
  void anUnfinishedHandshakeIsClosed_aFinishedOneKeepsTheKeepAlive() throws Exception {
    try (SSLSocket established = tls();
         Socket loris = new Socket("localhost", server.https("/").getPort())) {
      // Slow loris: connect, then say nothing (no ClientHello).
      loris.setSoTimeout(60_000);
      long t0 = System.nanoTime();
      InputStream in = loris.getInputStream();
      int read;
      try {
        read = in.read();
      } catch (SocketException reset) {
        read = -1;
      }
      Duration waited = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(read).isEqualTo(-1);
      assertThat(waited).isBetween(RotorServer.TLS_HANDSHAKE_TIMEOUT.minusSeconds(1), RotorServer.TLS_HANDSHAKE_TIMEOUT.plusSeconds(10));

      // The connection that finished its handshake before has been idle as long, and still works.
      OutputStream out = established.getOutputStream();
      out.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(statusLine(established)).startsWith("HTTP/1.1 200");
    }
  }
}
