package dev.rotor.load;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How fast this machine signs and verifies ECDSA P-256 with the server's provider, on all cores.
 * Each issuance costs one verify (the CSR's signature) and one sign (the certificate), so no
 * server on this machine issues faster than {@link #ceiling(double, double)}; the rest of the work
 * (TLS, JSON, ASN.1, the database) decides how close it gets.
 */
final class CryptoCeiling {

  /** A certificate's TBS is a few hundred bytes; the digest cost is small either way. */
  static final int MESSAGE_BYTES = 300;

  /** Operations per second, summed over all threads. */
  record Throughput(double signsPerSecond, double verifiesPerSecond) {
    double ceiling() {
      return CryptoCeiling.ceiling(signsPerSecond, verifiesPerSecond);
    }
  }

  private CryptoCeiling() {}

  /**
   * Issuances per second if each needed exactly one sign and one verify and nothing else:
   * the time per issuance is 1/signs + 1/verifies on the same cores.
   */
  static double ceiling(double signsPerSecond, double verifiesPerSecond) {
    if (signsPerSecond <= 0 || verifiesPerSecond <= 0) {
      return 0;
    }
    return 1 / (1 / signsPerSecond + 1 / verifiesPerSecond);
  }

  /** Measures signs then verifies, each after its own warmup, on {@code threads} threads. */
  static Throughput measure(Provider provider, int threads, Duration warmup, Duration each)
      throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(threads,
        Thread.ofPlatform().name("ceiling-", 0).daemon(true).factory());
    try {
      run(pool, threads, provider, true, warmup);
      double signs = run(pool, threads, provider, true, each);
      run(pool, threads, provider, false, warmup);
      double verifies = run(pool, threads, provider, false, each);
      return new Throughput(signs, verifies);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Runs one kind of operation on every thread for {@code length}; returns operations/s. */
  private static double run(ExecutorService pool, int threads, Provider provider, boolean sign,
      Duration length) throws InterruptedException {
    List<Future<Long>> parts = new ArrayList<>();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    for (int t = 0; t < threads; t++) {
      parts.add(pool.submit(() -> sign ? signUntil(provider, end) : verifyUntil(provider, end)));
    }
    long ops = 0;
    try {
      for (Future<Long> part : parts) {
        ops += part.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("ECDSA benchmark failed: " + e.getCause(), e.getCause());
    }
    return ops / ((System.nanoTime() - start) / 1e9);
  }

  private static long signUntil(Provider provider, long endNanos) throws GeneralSecurityException {
    KeyPair keys = CsrPool.keyPairGenerator(provider).generateKeyPair();
    byte[] message = message();
    Signature signer = Signature.getInstance("SHA256withECDSA", provider);
    long n = 0;
    do {
      for (int i = 0; i < 16; i++) {
        signer.initSign(keys.getPrivate());
        signer.update(message);
        signer.sign();
      }
      n += 16;
    } while (System.nanoTime() - endNanos < 0);
    return n;
  }

  private static long verifyUntil(Provider provider, long endNanos)
      throws GeneralSecurityException {
    KeyPair keys = CsrPool.keyPairGenerator(provider).generateKeyPair();
    byte[] message = message();
    Signature signer = Signature.getInstance("SHA256withECDSA", provider);
    signer.initSign(keys.getPrivate());
    signer.update(message);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA", provider);
    long n = 0;
    do {
      for (int i = 0; i < 16; i++) {
        verifier.initVerify(keys.getPublic());
        verifier.update(message);
        if (!verifier.verify(signature)) {
          throw new IllegalStateException(provider.getName() + " rejected its own signature");
        }
      }
      n += 16;
    } while (System.nanoTime() - endNanos < 0);
    return n;
  }

  private static byte[] message() {
    byte[] m = new byte[MESSAGE_BYTES];
    new SecureRandom().nextBytes(m);
    return m;
  }
}
