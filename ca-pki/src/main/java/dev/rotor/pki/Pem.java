package dev.rotor.pki;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * PEM encoding and decoding (RFC 7468) and certificate parsing.
 *
 * <p>Decoding is a hand-written scan with {@link String#indexOf}, not a regular expression: input
 * comes from clients, and a backtracking pattern over 64 KiB of hostile text can take far longer
 * than the request is worth. Every decode first checks {@link #MAX_PEM_CHARS}, then runs in time
 * linear in the input. Following RFC 7468 §3's lax parsing, text before, between and after blocks
 * is ignored and whitespace inside the base64 body is skipped; anything else in the body (such as
 * RFC 1421 {@code Proc-Type:} headers) makes the block {@link PkiException.Problem#MALFORMED}.
 */
public final class Pem {

  /** The largest PEM text accepted, in chars; a chain of ten RSA-8192 certificates fits easily. */
  public static final int MAX_PEM_CHARS = 64 * 1024;

  private static final int LINE = 64;

  private Pem() {}

  /**
   * Encodes {@code der} as one PEM block: {@code -----BEGIN <type>-----}, base64 in 64-char lines,
   * {@code -----END <type>-----}, each line ending in {@code "\n"}.
   */
  public static String encode(String type, byte[] der) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(der, "der");
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder sb = new StringBuilder(b64.length() + b64.length() / LINE + 2 * type.length() + 40);
    sb.append("-----BEGIN ").append(type).append("-----\n");
    for (int i = 0; i < b64.length(); i += LINE) {
      sb.append(b64, i, Math.min(b64.length(), i + LINE)).append('\n');
    }
    sb.append("-----END ").append(type).append("-----\n");
    return sb.toString();
  }

  /**
   * Decodes the first PEM block of {@code type} in {@code pem}; blocks of other types are skipped.
   *
   * @throws PkiException {@code TOO_LARGE} if the text exceeds {@link #MAX_PEM_CHARS} (checked
   *     first), {@code NOT_PEM} if it holds no block of that type, {@code MALFORMED} if the block
   *     has no END line or its body is not base64
   */
  public static byte[] decodeOne(String pem, String type) throws PkiException {
    checkSize(pem);
    Block block = next(pem, type, 0);
    if (block == null) {
      throw new PkiException(PkiException.Problem.NOT_PEM, "no PEM block of type " + type + " found");
    }
    return block.der;
  }

  /**
   * Decodes every PEM block of {@code type} in {@code pem}, in order.
   *
   * @throws PkiException as {@link #decodeOne}; {@code NOT_PEM} when there is no such block
   */
  public static List<byte[]> decodeAll(String pem, String type) throws PkiException {
    checkSize(pem);
    List<byte[]> all = new ArrayList<>();
    int from = 0;
    Block block;
    while ((block = next(pem, type, from)) != null) {
      all.add(block.der);
      from = block.end;
    }
    if (all.isEmpty()) {
      throw new PkiException(PkiException.Problem.NOT_PEM, "no PEM block of type " + type + " found");
    }
    return all;
  }

  /** {@code encode("CERTIFICATE", der)}. */
  public static String certificate(byte[] der) {
    return encode("CERTIFICATE", der);
  }

  /** The certificates as concatenated PEM blocks, in the given order (leaf first for a chain). */
  public static String certificates(List<byte[]> ders) {
    StringBuilder sb = new StringBuilder();
    for (byte[] der : ders) {
      sb.append(certificate(der));
    }
    return sb.toString();
  }

  /**
   * Parses one DER certificate with the JDK's {@link CertificateFactory}.
   *
   * @throws PkiException {@code MALFORMED} if it is not exactly one X.509 certificate
   */
  public static X509Certificate parseCertificate(byte[] der) throws PkiException {
    String shape = DerLimits.check(der);
    if (shape != null) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the certificate is not valid DER: " + shape);
    }
    try {
      X509Certificate cert =
          (X509Certificate) certificateFactory().generateCertificate(new ByteArrayInputStream(der));
      if (!Arrays.equals(cert.getEncoded(), der)) {
        throw new PkiException(PkiException.Problem.MALFORMED, "the certificate has trailing data");
      }
      return cert;
    } catch (CertificateException | RuntimeException e) {
      throw new PkiException(PkiException.Problem.MALFORMED, "the certificate does not parse", e);
    }
  }

  /** Parses every CERTIFICATE block in {@code pem}, in order. */
  public static List<X509Certificate> parseCertificates(String pem) throws PkiException {
    List<X509Certificate> certs = new ArrayList<>();
    for (byte[] der : decodeAll(pem, "CERTIFICATE")) {
      certs.add(parseCertificate(der));
    }
    return certs;
  }

  private static CertificateFactory certificateFactory() throws CertificateException {
    // The JDK's factory, not a configured provider: parsing is the same everywhere and the JDK's
    // is the one TLS stacks will use on these certificates.
    return CertificateFactory.getInstance("X.509");
  }

  private static void checkSize(String pem) throws PkiException {
    if (pem == null) {
      throw new PkiException(PkiException.Problem.NOT_PEM, "no PEM input");
    }
    if (pem.length() > MAX_PEM_CHARS) {
      throw new PkiException(
          PkiException.Problem.TOO_LARGE,
          "the PEM input has " + pem.length() + " characters; the limit is " + MAX_PEM_CHARS);
    }
  }

  private record Block(byte[] der, int end) {}

  private static Block next(String pem, String type, int from) throws PkiException {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int start = pem.indexOf(begin, from);
    if (start < 0) {
      return null;
    }
    int bodyStart = start + begin.length();
    int stop = pem.indexOf(end, bodyStart);
    if (stop < 0) {
      throw new PkiException(PkiException.Problem.MALFORMED, "PEM block " + type + " has no END line");
    }
    StringBuilder b64 = new StringBuilder(stop - bodyStart);
    for (int i = bodyStart; i < stop; i++) {
      char c = pem.charAt(i);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        continue;
      }
      b64.append(c);
    }
    if (b64.isEmpty()) {
      throw new PkiException(PkiException.Problem.MALFORMED, "PEM block " + type + " is empty");
    }
    byte[] der;
    try {
      der = Base64.getDecoder().decode(b64.toString());
    } catch (IllegalArgumentException e) {
      throw new PkiException(PkiException.Problem.MALFORMED, "PEM block " + type + " is not valid base64");
    }
    return new Block(der, stop + end.length());
  }
}
