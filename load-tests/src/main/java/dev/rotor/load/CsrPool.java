package dev.rotor.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Request bodies prepared before the clock starts, each with its own fresh P-256 key and CSR, so
 * that key generation and JSON encoding cost the client nothing during the measurement.
 *
 * <p>When a run outlasts the pool, {@link #next()} goes round again; the server does not mind a
 * repeated key, and {@link #reused()} says how many requests carried one.
 */
final class CsrPool {

  /** An issuance rate no 2-core machine reaches today; pools are sized so it would not run out. */
  static final int ASSUMED_MAX_RATE = 12_000;

  /** Heap per pooled body: ≈560 bytes of JSON plus the array and its header, rounded up. */
  static final int BYTES_PER_ENTRY = 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final byte[][] bodies;
  private final AtomicLong handedOut = new AtomicLong();

  private CsrPool(byte[][] bodies) {
    this.bodies = bodies;
  }

  /**
   * How many CSRs to prepare: enough for {@link #ASSUMED_MAX_RATE} over the whole run (warmup
   * included), at least one per worker, and no more than a quarter of the heap holds.
   */
  static int plannedSize(int concurrency, Duration run, long maxHeapBytes) {
    long wanted = (long) Math.ceil(ASSUMED_MAX_RATE * (run.toNanos() / 1e9));
    long heapCap = maxHeapBytes / 4 / BYTES_PER_ENTRY;
    long n = Math.max(concurrency, Math.min(wanted, heapCap));
    return (int) Math.min(n, Integer.MAX_VALUE - 8);
  }

  /** Generates {@code size} key pairs, CSRs and request bodies on {@code threads} threads. */
  static CsrPool generate(
      int size, int threads, Provider provider, String trustDomain, String profile, int ttlSeconds)
      throws InterruptedException {
    return generate(size, threads, provider, n -> spiffeId(trustDomain, n),
        pem -> requestBody(pem, profile, ttlSeconds));
  }

  /**
   * Generates {@code size} key pairs and CSRs on {@code threads} threads; CSR {@code n} names
   * {@code sanOf(n)} and is stored as {@code bodyOf(pem)}.
   */
  static CsrPool generate(int size, int threads, Provider provider, IntFunction<String> sanOf,
      Function<String, byte[]> bodyOf) throws InterruptedException {
    byte[][] bodies = new byte[size][];
    ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform()
        .name("csr-gen-", 0).daemon(true).factory());
    try {
      List<Future<?>> parts = new ArrayList<>();
      int chunk = (size + threads - 1) / threads;
      for (int from = 0; from < size; from += chunk) {
        int lo = from;
        int hi = Math.min(size, from + chunk);
        parts.add(pool.submit(() -> {
          KeyPairGenerator kpg = keyPairGenerator(provider);
          for (int i = lo; i < hi; i++) {
            PKCS10CertificationRequest csr = create(kpg.generateKeyPair(), sanOf.apply(i),
                provider);
            bodies[i] = bodyOf.apply(pem(csr));
          }
          return null;
        }));
      }
      for (Future<?> part : parts) {
        part.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("CSR generation failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return new CsrPool(bodies);
  }

  /** The SPIFFE ID of bench workload {@code n}. */
  static String spiffeId(String trustDomain, int n) {
    return "spiffe://" + trustDomain + "/ns/load/sa/bench-" + n;
  }

  static KeyPairGenerator keyPairGenerator(Provider provider) {
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
      kpg.initialize(new ECGenParameterSpec("secp256r1"));
      return kpg;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no P-256 key generation in " + provider.getName(), e);
    }
  }

  /**
   * A PKCS#10 request with an empty subject and, in its extensionRequest attribute, a critical
   * subjectAltName holding exactly one URI: RFC 5280 §4.2.1.6 makes the SAN critical when the
   * subject is empty, and a workload CSR from the agent looks the same.
   */
  static PKCS10CertificationRequest create(KeyPair keys, String uri, Provider provider) {
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, true,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
      return new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]),
              keys.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(provider)
              .build(keys.getPrivate()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign CSR with " + provider.getName(), e);
    }
  }

  static String pem(PKCS10CertificationRequest csr) {
    try {
      return "-----BEGIN CERTIFICATE REQUEST-----\n"
          + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(csr.getEncoded())
          + "\n-----END CERTIFICATE REQUEST-----\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code {"csr":"<PEM>","profile":"workload","ttlSeconds":900}} as UTF-8. */
  static byte[] requestBody(String csrPem, String profile, int ttlSeconds) {
    ObjectNode body = JSON.createObjectNode();
    body.put("csr", csrPem);
    body.put("profile", profile);
    body.put("ttlSeconds", ttlSeconds);
    try {
      return JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next body, round-robin once every one has been used. Thread-safe. */
  byte[] next() {
    return bodies[(int) (handedOut.getAndIncrement() % bodies.length)];
  }

  int size() {
    return bodies.length;
  }

  /** Bodies handed out so far. */
  long handedOut() {
    return handedOut.get();
  }

  /** Requests that carried a CSR already sent earlier in the run. */
  long reused() {
    return Math.max(0, handedOut.get() - bodies.length);
  }

  /** Bytes held by the bodies, for the report. */
  long bytes() {
    long n = 0;
    for (byte[] b : bodies) {
      n += b.length;
    }
    return n;
  }
}
