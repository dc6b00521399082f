package dev.rotor.agent.proxy;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@link HttpRequestRewriter} in an inbound listener's pipeline (HTTP mode only, so plain L4
 * listeners never pay for it): every request the client sends reaches the backend with Rotor's
 * {@code X-Forwarded-Client-Cert}. A framing error, or the client closing in the middle of a
 * request, is an exception on the channel, which closes the connection.
 */
final class HttpRequestHandler extends ChannelInboundHandlerAdapter {

  private final HttpRequestRewriter rewriter;
  private final Counter bytes;

  /** @param bytes counts the bytes the client sent (before rewriting), as for L4 listeners */
  HttpRequestHandler(HttpRequestRewriter rewriter, Counter bytes) {
    this.rewriter = rewriter;
    this.bytes = bytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
    ByteBuf in = (ByteBuf) msg;
    ByteBuffer out;
    try {
      bytes.increment(in.readableBytes());
      out = rewriter.feed(in.nioBuffer());
    } finally {
      in.release();
    }
    if (out.hasRemaining()) {
      ctx.fireChannelRead(Unpooled.wrappedBuffer(out));
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (!rewriter.atBoundary()) {
      ctx.fireExceptionCaught(new IOException("the client closed in the middle of a request"));
    }
    super.channelInactive(ctx);
  }
}
