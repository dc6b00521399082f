package dev.rotor.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpRequestHandlerTest {

  private static final String X = "X-Forwarded-Client-Cert: By=spiffe://td/b;Hash=ab;URI=spiffe://td/a\r\n";

  /** The client's bytes through the handler in a channel, then the client closes; what the backend would get. */
  private static String run(String in) throws IOException {
    Counter bytes = new SimpleMeterRegistry().counter("bytes");
    EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestHandler(new HttpRequestRewriter("By=spiffe://td/b;Hash=ab;URI=spiffe://td/a"), bytes));
    StringBuilder out = new StringBuilder();
    try {
      ch.writeInbound(Unpooled.copiedBuffer(in, StandardCharsets.ISO_8859_1));
    } finally {
      for (ByteBuf b; (b = ch.readInbound()) != null; b.release()) {
        out.append(b.toString(StandardCharsets.ISO_8859_1));
      }
    }
    ch.finish(); // the close: rethrows what the handler raised on it
    assertThat(bytes.count()).isEqualTo(in.length());
    return out.toString();
  }

  @Test
  void everyPipelinedRequestGetsTheHeaderAndBodiesPassUntouched() throws IOException {
    String in = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        + "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
        + "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n"
        + "GET /d HTTP/1.1\r\nHost: h\r\n\r\n";
    assertThat(run(in)).isEqualTo("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n" + X + "\r\nhello"
        + "GET /b HTTP/1.1\r\nHost: h\r\n" + X + "\r\n"
        + "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n" + X + "\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n"
        + "GET /d HTTP/1.1\r\nHost: h\r\n" + X + "\r\n");
  }

  @Test
  void aForgedHeaderFromTheClientIsDropped() throws IOException {
    assertThat(run("GET / HTTP/1.1\r\nx-forwarded-client-cert: By=evil\r\nHost: h\r\n\r\n"))
        .isEqualTo("GET / HTTP/1.1\r\nHost: h\r\n" + X + "\r\n");
  }

  @Test
  void anUpgradeSwitchesToPlainCopying() throws IOException {
    String in = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0002hiGET /not-a-request\r\n\r\n";
    assertThat(run(in)).isEqualTo("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + X + "\r\n"
        + "\u0081\u0002hiGET /not-a-request\r\n\r\n");
  }

  @Test
  void brokenFramingEndsTheConnection() {
    assertThatThrownBy(() -> run("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")).hasMessageContaining("middle of a request");
    assertThatThrownBy(() -> run("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")).hasMessageContaining("Content-Length");
    assertThatThrownBy(() -> run("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")).hasMessageContaining("Content-Length");
    assertThatThrownBy(() -> run("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).hasMessageContaining("chunk size");
    assertThatThrownBy(() -> run("GET / HTTP/1.1\r\nHost" + "x".repeat(70_000))).hasMessageContaining("larger than");
    assertThatThrownBy(() -> run("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n")).hasMessageContaining("malformed header");
  }

  @Test
  void pieceSizeDoesNotMatter() throws IOException {
    String in = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        + "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Forwarded-Client-Cert: x\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"
        + "GET /d HTTP/1.1\r\n\r\n";
    String whole = run(in);
    for (int piece : new int[] {1, 2, 3, 7, 64}) {
      HttpRequestRewriter r = new HttpRequestRewriter("By=spiffe://td/b;Hash=ab;URI=spiffe://td/a");
      StringBuilder out = new StringBuilder();
      byte[] b = in.getBytes(StandardCharsets.ISO_8859_1);
      for (int i = 0; i < b.length; i += piece) {
        java.nio.ByteBuffer o = r.feed(java.nio.ByteBuffer.wrap(b, i, Math.min(piece, b.length - i)));
        out.append(StandardCharsets.ISO_8859_1.decode(o));
      }
      assertThat(out.toString()).as("pieces of %d", piece).isEqualTo(whole);
      assertThat(r.atBoundary()).isTrue();
    }
    assertThat(whole).doesNotContain("X-Forwarded-Client-Cert: x\r\n").contains("16\r\n".replace("16", "10"));
  }
}
