package dev.rotor.agent.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP mode of an inbound listener, push style: fed the bytes the client sent, in whatever pieces
 * they arrive, it returns what goes to the backend — every request head with Rotor's
 * {@code X-Forwarded-Client-Cert} added and any such header from the client dropped (so it cannot
 * be forged). Bodies are framed by Content-Length or chunked encoding so every request on a
 * keep-alive connection gets the header; an upgrade (WebSocket, h2c) or CONNECT switches to plain
 * copying after its head. A framing error is an {@link IOException}: the connection is closed.
 */
final class HttpRequestRewriter {

  static final int MAX_HEAD = 64 * 1024;
  private static final int MAX_LINE = 4096;
  private static final String HEADER = "x-forwarded-client-cert";

  private enum State { HEAD, BODY, CHUNK_LINE, CHUNK_DATA, CHUNK_END, TRAILERS, RAW }

  private final byte[] xfcc;
  private State state = State.HEAD;
  private long remaining;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(512);
  private int matched; // bytes of CRLFCRLF matched at the end of a head

  /** @param xfccValue the header value, e.g. {@code By=spiffe://..;Hash=..;URI=spiffe://..} */
  HttpRequestRewriter(String xfccValue) {
    this.xfcc = ("X-Forwarded-Client-Cert: " + xfccValue + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Consumes all of {@code in}; returns the bytes to send on (possibly none). */
  ByteBuffer feed(ByteBuffer in) throws IOException {
    if (state == State.RAW || (state == State.BODY && remaining >= in.remaining())) {
      if (state == State.BODY) {
        remaining -= in.remaining();
        if (remaining == 0) {
          state = State.HEAD;
        }
      }
      ByteBuffer out = ByteBuffer.allocate(in.remaining());
      out.put(in).flip();
      return out;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.remaining() + xfcc.length + 64);
    while (in.hasRemaining()) {
      switch (state) {
        case HEAD -> head(in, out);
        case BODY, CHUNK_DATA -> {
          int k = (int) Math.min(remaining, in.remaining());
          copy(in, out, k);
          remaining -= k;
          if (remaining == 0) {
            state = state == State.BODY ? State.HEAD : State.CHUNK_END;
          }
        }
        case CHUNK_LINE, CHUNK_END, TRAILERS -> line(in, out);
        case RAW -> copy(in, out, in.remaining());
      }
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  private static void copy(ByteBuffer in, ByteArrayOutputStream out, int n) {
    if (in.hasArray()) {
      out.write(in.array(), in.arrayOffset() + in.position(), n);
      in.position(in.position() + n);
    } else {
      byte[] b = new byte[n];
      in.get(b);
      out.write(b, 0, n);
    }
  }

  private void head(ByteBuffer in, ByteArrayOutputStream out) throws IOException {
    while (in.hasRemaining()) {
      byte b = in.get();
      if (pending.size() == 0 && (b == '\r' || b == '\n')) {
        continue; // tolerate CRLF between requests (RFC 9112 2.2)
      }
      pending.write(b);
      if (pending.size() > MAX_HEAD) {
        throw new IOException("request head larger than " + MAX_HEAD + " bytes");
      }
      matched = switch (matched) {
        case 0, 2 -> b == '\r' ? matched + 1 : (b == '\n' && matched == 2 ? 4 : 0);
        case 1, 3 -> b == '\n' ? matched + 1 : 0;
        default -> 0;
      };
      if (matched == 4) {
        matched = 0;
        byte[] head = pending.toByteArray();
        pending.reset();
        rewrite(head, out);
        return;
      }
    }
  }

  private void rewrite(byte[] head, ByteArrayOutputStream out) throws IOException {
    String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r?\n");
    String requestLine = lines[0];
    long length = -1;
    boolean chunked = false;
    boolean upgrade = false;
    StringBuilder sb = new StringBuilder(head.length + xfcc.length);
    sb.append(requestLine).append("\r\n");
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed header line");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals(HEADER)) {
        continue; // never pass on a client's own XFCC
      }
      if (name.equals("content-length")) {
        long l;
        try {
          l = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new IOException("bad Content-Length");
        }
        if (l < 0 || (length >= 0 && length != l)) {
          throw new IOException("bad Content-Length");
        }
        length = l;
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
      } else if (name.equals("upgrade")) {
        upgrade = true;
      }
      sb.append(line).append("\r\n");
    }
    byte[] rewritten = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    out.write(rewritten, 0, rewritten.length);
    out.write(xfcc, 0, xfcc.length);
    out.write('\r');
    out.write('\n');
    if (upgrade || requestLine.startsWith("CONNECT ")) {
      state = State.RAW;
    } else if (chunked) {
      state = State.CHUNK_LINE; // RFC 9112 6.3: chunked wins over Content-Length
    } else if (length > 0) {
      state = State.BODY;
      remaining = length;
    } else {
      state = State.HEAD;
    }
  }

  /** A CRLF-terminated line of chunked framing (size line, CRLF after data, trailers), copied as is. */
  private void line(ByteBuffer in, ByteArrayOutputStream out) throws IOException {
    while (in.hasRemaining()) {
      byte b = in.get();
      out.write(b);
      if (b != '\n') {
        pending.write(b);
        if (pending.size() > MAX_LINE) {
          throw new IOException("chunk line too long");
        }
        continue;
      }
      String text = pending.toString(StandardCharsets.ISO_8859_1).trim();
      pending.reset();
      switch (state) {
        case CHUNK_LINE -> {
          int semi = text.indexOf(';');
          long size;
          try {
            size = Long.parseLong(semi >= 0 ? text.substring(0, semi).trim() : text, 16);
          } catch (NumberFormatException e) {
            throw new IOException("bad chunk size");
          }
          if (size < 0) {
            throw new IOException("bad chunk size");
          }
          if (size == 0) {
            state = State.TRAILERS;
          } else {
            state = State.CHUNK_DATA;
            remaining = size;
          }
        }
        case CHUNK_END -> {
          if (!text.isEmpty()) {
            throw new IOException("chunk data longer than its size");
          }
          state = State.CHUNK_LINE;
        }
        default -> {
          if (text.isEmpty()) {
            state = State.HEAD;
          }
        }
      }
      return;
    }
  }

  /** True when the stream ended between requests (not inside a head, body or chunk). */
  boolean atBoundary() {
    return (state == State.HEAD && pending.size() == 0) || state == State.RAW;
  }
}
