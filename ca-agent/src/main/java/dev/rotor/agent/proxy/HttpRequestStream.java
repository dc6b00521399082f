package dev.rotor.agent.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/** {@link HttpRequestRewriter} over blocking streams: copies the client's requests to the backend until the client closes. */
final class HttpRequestStream {

  private final InputStream in;
  private final OutputStream out;
  private final HttpRequestRewriter rewriter;
  private long copied;

  HttpRequestStream(InputStream in, OutputStream out, String xfccValue) {
    this.in = in;
    this.out = out;
    this.rewriter = new HttpRequestRewriter(xfccValue);
  }

  /** Bytes read from the client so far. */
  long copied() {
    return copied;
  }

  void run() throws IOException {
    // Small first, doubled to a TLS record's worth only when a read fills it (as Proxy's copy loop).
    byte[] buf = new byte[2 * 1024];
    int n;
    while ((n = in.read(buf)) > 0) {
      copied += n;
      ByteBuffer o = rewriter.feed(ByteBuffer.wrap(buf, 0, n));
      if (o.hasRemaining()) {
        out.write(o.array(), o.arrayOffset() + o.position(), o.remaining());
        out.flush();
      }
      if (n == buf.length && buf.length < 16 * 1024) {
        buf = new byte[buf.length * 2];
      }
    }
    if (!rewriter.atBoundary()) {
      throw new IOException("the client closed in the middle of a request");
    }
  }
}
