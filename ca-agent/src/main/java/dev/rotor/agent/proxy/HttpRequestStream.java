package dev.rotor.agent.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.x mode of an inbound listener: copies requests from the client to the backend, adding
 * {@code X-Forwarded-Client-Cert} to each request head (and dropping any the client sent, so it
 * cannot be forged). Bodies are framed by Content-Length or chunked encoding so that every request
 * on a keep-alive connection gets the header; an upgrade (WebSocket, h2c) or CONNECT switches to
 * plain byte copying after its head.
 */
final class HttpRequestStream {

  static final int MAX_HEAD = 64 * 1024;
  private static final byte[] HEADER = "x-forwarded-client-cert".getBytes(StandardCharsets.US_ASCII);

  private final InputStream in;
  private final OutputStream out;
  private final byte[] xfcc;
  private final byte[] buf = new byte[16 * 1024];
  private int pos;
  private int lim;
  private long copied;

  /** @param xfccValue the header value, e.g. {@code By=spiffe://..;Hash=..;URI=spiffe://..} */
  HttpRequestStream(InputStream in, OutputStream out, String xfccValue) {
    this.in = in;
    this.out = out;
    this.xfcc = ("X-Forwarded-Client-Cert: " + xfccValue + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Bytes read from the client so far. */
  long copied() {
    return copied;
  }

  /** Copies until the client closes; returns normally at end of stream. */
  void run() throws IOException {
    while (true) {
      byte[] head = readHead();
      if (head == null) {
        return;
      }
      Framing f = rewriteAndSend(head);
      switch (f.kind) {
        case NONE -> { }
        case LENGTH -> copyExactly(f.length);
        case CHUNKED -> copyChunked();
        case RAW -> {
          copyRest();
          return;
        }
      }
      out.flush();
    }
  }

  private enum Kind { NONE, LENGTH, CHUNKED, RAW }

  private record Framing(Kind kind, long length) {}

  private boolean fill() throws IOException {
    if (pos < lim) {
      return true;
    }
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      return false;
    }
    copied += n;
    pos = 0;
    lim = n;
    return true;
  }

  /** The request head up to and including the blank line; null at a clean end of stream. */
  private byte[] readHead() throws IOException {
    java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream(512);
    int state = 0; // matched bytes of \r\n\r\n
    while (true) {
      if (!fill()) {
        if (head.size() == 0) {
          return null;
        }
        throw new IOException("the client closed in the middle of a request head");
      }
      while (pos < lim) {
        byte b = buf[pos++];
        if (head.size() == 0 && (b == '\r' || b == '\n')) {
          continue; // tolerate CRLF between requests (RFC 9112 2.2)
        }
        head.write(b);
        if (head.size() > MAX_HEAD) {
          throw new IOException("request head larger than " + MAX_HEAD + " bytes");
        }
        state = switch (state) {
          case 0, 2 -> b == '\r' ? state + 1 : (b == '\n' && state == 2 ? 4 : 0);
          case 1, 3 -> b == '\n' ? state + 1 : 0;
          default -> 0;
        };
        if (state == 4) {
          return head.toByteArray();
        }
      }
    }
  }

  private Framing rewriteAndSend(byte[] head) throws IOException {
    String text = new String(head, StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r?\n");
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
      if (name.equals(new String(HEADER, StandardCharsets.US_ASCII))) {
        continue; // never pass on a client's own XFCC
      }
      if (name.equals("content-length")) {
        try {
          long l = Long.parseLong(value);
          if (l < 0 || (length >= 0 && length != l)) {
            throw new IOException("bad Content-Length");
          }
          length = l;
        } catch (NumberFormatException e) {
          throw new IOException("bad Content-Length");
        }
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
      } else if (name.equals("upgrade")) {
        upgrade = true;
      }
      sb.append(line).append("\r\n");
    }
    byte[] rewritten = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    out.write(rewritten);
    out.write(xfcc);
    out.write('\r');
    out.write('\n');
    if (upgrade || requestLine.startsWith("CONNECT ")) {
      return new Framing(Kind.RAW, 0);
    }
    if (chunked) {
      return new Framing(Kind.CHUNKED, 0); // RFC 9112 6.3: chunked wins over Content-Length
    }
    return length > 0 ? new Framing(Kind.LENGTH, length) : new Framing(Kind.NONE, 0);
  }

  private void copyExactly(long n) throws IOException {
    while (n > 0) {
      if (!fill()) {
        throw new IOException("the client closed in the middle of a request body");
      }
      int k = (int) Math.min(n, lim - pos);
      out.write(buf, pos, k);
      pos += k;
      n -= k;
    }
  }

  private String readLine() throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (!fill()) {
        throw new IOException("the client closed in the middle of a chunked body");
      }
      byte b = buf[pos++];
      out.write(b);
      if (b == '\n') {
        return sb.toString().trim();
      }
      if (sb.length() > 4096) {
        throw new IOException("chunk line too long");
      }
      sb.append((char) b);
    }
  }

  private void copyChunked() throws IOException {
    while (true) {
      String sizeLine = readLine();
      int semi = sizeLine.indexOf(';');
      long size;
      try {
        size = Long.parseLong(semi >= 0 ? sizeLine.substring(0, semi).trim() : sizeLine, 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size");
      }
      if (size < 0) {
        throw new IOException("bad chunk size");
      }
      if (size == 0) {
        // trailers until an empty line
        while (!readLine().isEmpty()) {
          // copied by readLine
        }
        return;
      }
      copyExactly(size);
      readLine(); // CRLF after the chunk data
    }
  }

  private void copyRest() throws IOException {
    if (pos < lim) {
      out.write(buf, pos, lim - pos);
      pos = lim;
    }
    out.flush();
    int n;
    while ((n = in.read(buf)) > 0) {
      copied += n;
      out.write(buf, 0, n);
      out.flush();
    }
  }
}
