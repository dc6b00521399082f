package dev.rotor.server.ca;

import dev.rotor.pki.Pem;
import dev.rotor.pki.SigningCa;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CA hierarchy in force at one moment (an immutable snapshot; {@link ActiveCa} hands out the
 * current one): the issuing CA that signs leaves, the chain handed out with each leaf, the trust
 * bundle clients anchor on, and every intermediate still in service (for CRLs, OCSP and chains of
 * certificates it signed).
 *
 * @param issuerId the issuing CA's row in {@code certificate_authorities}
 * @param issuing the issuing CA's certificate and key
 * @param chainAbove the certificates above the leaf that a client needs, issuing CA first (the
 *     root is not included; clients have it in the bundle)
 * @param bundle the trust bundle: the roots first (the active one first), then the intermediates
 *     currently trusted (prepared, active, retired, tainted). A peer is accepted only if its
 *     issuing CA is one of these intermediates and the path leads to one of the roots; a bundle
 *     without intermediates (an imported CA) constrains only the path.
 * @param issuers every intermediate still in the bundle, by id, and those removed from it that still
 *     have unexpired certificates (state {@code removed}: their CRL and OCSP go on)
 * @param generation the rotation generation this snapshot was read at (0 for an imported CA)
 * @param taintGeneration how many times an active intermediate was declared compromised
 * @param chainAbovePem PEM of {@code chainAbove}, appended to each leaf
 * @param bundlePem PEM of {@code bundle}
 */
public record CertificateAuthority(int issuerId, SigningCa issuing, List<X509Certificate> chainAbove,
    List<X509Certificate> bundle, Map<Integer, Issuer> issuers, long generation, long taintGeneration,
    String chainAbovePem, String bundlePem) {

  /**
   * An intermediate in service: its state, key, and the chain above its leaves (with its PEM,
   * encoded once: every issuance and certificate download appends it).
   */
  public record Issuer(int id, CaState state, SigningCa ca, List<X509Certificate> chainAbove, String chainAbovePem) {
    public Issuer {
      chainAbove = List.copyOf(chainAbove);
      if (!chainAbovePem.equals(pem(chainAbove))) {
        throw new IllegalArgumentException("chainAbovePem does not encode chainAbove");
      }
    }

    public Issuer(int id, CaState state, SigningCa ca, List<X509Certificate> chainAbove) {
      this(id, state, ca, chainAbove, pem(chainAbove));
    }
  }

  /**
   * The PEM forms are encoded once per snapshot (a snapshot lives until the next CA rotation):
   * every issuance appends {@code chainAbovePem} to its leaf and every agent answer carries
   * {@code bundlePem}.
   */
  public CertificateAuthority {
    chainAbove = List.copyOf(chainAbove);
    bundle = List.copyOf(bundle);
    issuers = Map.copyOf(issuers);
    if (!chainAbovePem.equals(pem(chainAbove)) || !bundlePem.equals(pem(bundle))) {
      throw new IllegalArgumentException("the PEM forms do not encode chainAbove and bundle");
    }
  }

  public CertificateAuthority(int issuerId, SigningCa issuing, List<X509Certificate> chainAbove,
      List<X509Certificate> bundle, Map<Integer, Issuer> issuers, long generation, long taintGeneration) {
    this(issuerId, issuing, chainAbove, bundle, issuers, generation, taintGeneration, pem(chainAbove), pem(bundle));
  }

  /** A single fixed CA (an imported one): no rotation. */
  public CertificateAuthority(int issuerId, SigningCa issuing, List<X509Certificate> chainAbove, List<X509Certificate> bundle) {
    this(issuerId, issuing, chainAbove, bundle,
        Map.of(issuerId, new Issuer(issuerId, CaState.ACTIVE, issuing, chainAbove)), 0, 0);
  }

  public X509Certificate issuingCertificate() {
    return issuing.certificate();
  }

  public Instant notAfter() {
    return issuing.certificate().getNotAfter().toInstant();
  }

  /** The intermediate {@code id} if it is still in the bundle (or removed with unexpired certificates). */
  public Optional<Issuer> issuer(int id) {
    return Optional.ofNullable(issuers.get(id));
  }

  /** Whether certificates of intermediate {@code id} should be renewed at once (tainted, or no longer trusted). */
  public boolean isRenewNow(int id) {
    Issuer i = issuers.get(id);
    return i == null || i.state() == CaState.TAINTED || i.state() == CaState.REMOVED;
  }

  /** The subject key identifiers (lower-case hex) of the tainted intermediates still in the bundle. */
  public List<String> taintedKeyIds() {
    return issuers.values().stream()
        .filter(i -> i.state() == CaState.TAINTED)
        .map(i -> java.util.HexFormat.of().formatHex(i.ca().subjectKeyIdentifier()))
        .sorted()
        .toList();
  }

  /** PEM of the chain above a leaf of intermediate {@code id}; empty once it has left the bundle. */
  public String chainAbovePem(int id) {
    return issuer(id).map(Issuer::chainAbovePem).orElse("");
  }

  static String pem(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      try {
        sb.append(Pem.certificate(c.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    return sb.toString();
  }
}
