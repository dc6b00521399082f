package dev.rotor.agent.sink;

import dev.rotor.agent.api.Credentials;
import dev.rotor.agent.api.TrustBundle;
import dev.rotor.agent.renew.RenewalPolicy;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.PrivateKeys;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides whether a stored certificate (a Secret's or a file sink's) can stay: pure, so every
 * case is a unit test. The order of checks is the order of badness: what is unusable first, then
 * what is merely due.
 */
public final class CertificateCheck {

  /** The outcome, worst first. */
  public enum Verdict {
    /** No certificate or no key stored. */
    MISSING,
    /** The certificate or key does not parse. */
    INVALID,
    /** The key is not the certificate's. */
    KEY_MISMATCH,
    /** The certificate is for another SPIFFE ID. */
    WRONG_IDENTITY,
    /** The DNS names differ from the requested ones. */
    NAMES_CHANGED,
    /** Expired. */
    EXPIRED,
    /** It does not chain to the current trust bundle (CA rotated, or foreign). */
    UNTRUSTED,
    /** Its issuing CA was declared compromised (the revocation feed's tainted issuers): replace it now. */
    TAINTED_ISSUER,
    /** Past its renewal point. */
    DUE,
    /** The certificate is fine; only the stored bundle differs from the current one. */
    BUNDLE_OUTDATED,
    /** Nothing to do. */
    FRESH;

    /** Whether a new key and certificate are needed (everything but {@code BUNDLE_OUTDATED} and {@code FRESH}). */
    public boolean needsNewCertificate() {
      return this != BUNDLE_OUTDATED && this != FRESH;
    }
  }

  /** What is stored, as text (any of it may be null). */
  public record Stored(String chainPem, String keyPem, String bundlePem) {}

  /** What the certificate must be. */
  public record Wanted(String spiffeId, List<String> dnsNames) {
    public Wanted {
      dnsNames = List.copyOf(dnsNames);
    }
  }

  /**
   * The verdict, and the parsed leaf when there is one (for metrics: seconds until expiry).
   *
   * @param leaf null unless the certificate parsed
   */
  public record Assessment(Verdict verdict, String reason, X509Certificate leaf) {}

  private CertificateCheck() {}

  /** Assesses {@code stored} against {@code wanted} and the current {@code bundle} at {@code now}. */
  public static Assessment assess(Stored stored, Wanted wanted, TrustBundle bundle, Instant now, RenewalPolicy policy) {
    if (isBlank(stored.chainPem()) || isBlank(stored.keyPem())) {
      return new Assessment(Verdict.MISSING, "no certificate or key stored", null);
    }
    List<X509Certificate> chain;
    PrivateKey key;
    try {
      chain = Pem.parseCertificates(stored.chainPem());
    } catch (PkiException e) {
      return new Assessment(Verdict.INVALID, "the certificate does not parse: " + e.getMessage(), null);
    }
    X509Certificate leaf = chain.get(0);
    try {
      key = PrivateKeys.parse(stored.keyPem());
    } catch (PkiException e) {
      // The message of PrivateKeys never quotes key material.
      return new Assessment(Verdict.INVALID, "the key does not parse: " + e.getMessage(), leaf);
    }
    if (!PrivateKeys.matches(leaf.getPublicKey(), key)) {
      return new Assessment(Verdict.KEY_MISMATCH, "the key does not belong to the certificate", leaf);
    }
    String id = Credentials.spiffeIdOf(leaf).orElse(null);
    if (!wanted.spiffeId().equals(id)) {
      return new Assessment(Verdict.WRONG_IDENTITY, "the certificate is for " + id + ", not " + wanted.spiffeId(), leaf);
    }
    Set<String> have = dnsNames(leaf);
    Set<String> want = new TreeSet<>();
    wanted.dnsNames().forEach(n -> want.add(n.toLowerCase(Locale.ROOT)));
    if (!have.equals(want)) {
      return new Assessment(Verdict.NAMES_CHANGED, "the certificate names " + have + ", wanted " + want, leaf);
    }
    Instant notBefore = leaf.getNotBefore().toInstant();
    Instant notAfter = leaf.getNotAfter().toInstant();
    if (!now.isBefore(notAfter)) {
      return new Assessment(Verdict.EXPIRED, "expired at " + notAfter, leaf);
    }
    if (!chainsTo(chain, bundle, now)) {
      return new Assessment(Verdict.UNTRUSTED, "the certificate does not chain to the current trust bundle", leaf);
    }
    if (bundle.isTaintedIssuer(leaf)) {
      return new Assessment(Verdict.TAINTED_ISSUER, "its issuing CA was declared compromised", leaf);
    }
    if (policy.isDue(now, notBefore, notAfter)) {
      return new Assessment(Verdict.DUE, "past its renewal point " + policy.renewalPoint(notBefore, notAfter), leaf);
    }
    TrustBundle storedBundle = parseBundle(stored.bundlePem());
    if (!bundle.sameAs(storedBundle)) {
      return new Assessment(Verdict.BUNDLE_OUTDATED, "the stored trust bundle is not the current one", leaf);
    }
    return new Assessment(Verdict.FRESH, "valid until " + notAfter, leaf);
  }

  /** Whether {@code chain} (leaf first) validates to one of the bundle's anchors at {@code now}. */
  public static boolean chainsTo(List<X509Certificate> chain, TrustBundle bundle, Instant now) {
    return bundle.validates(chain, now);
  }

  private static Set<String> dnsNames(X509Certificate cert) {
    Set<String> names = new TreeSet<>();
    try {
      var sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (((Integer) san.get(0)) == 2) {
            names.add(san.get(1).toString().toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (Exception e) {
      // treated as no names
    }
    return names;
  }

  private static TrustBundle parseBundle(String pem) {
    if (isBlank(pem)) {
      return null;
    }
    try {
      return TrustBundle.parse(pem);
    } catch (PkiException | IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
