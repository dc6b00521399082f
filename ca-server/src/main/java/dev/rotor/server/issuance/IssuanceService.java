package dev.rotor.server.issuance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CertificateLint;
import dev.rotor.pki.CertificateSigner;
import dev.rotor.pki.CheckedCsr;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.CsrChecker;
import dev.rotor.pki.LeafTemplate;
import dev.rotor.pki.NamePolicy;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.Profile;
import dev.rotor.pki.Serials;
import dev.rotor.pki.SigningKeyUnavailableException;
import dev.rotor.pki.SubjectNames;
import dev.rotor.server.CrashPoint;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.Metrics;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.ca.CertificateAuthority;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.NewCertificate;
import dev.rotor.server.store.PgCertificateStore;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one door through which every certificate is issued (REST, agent, ACME, CRD and the
 * server's own HTTPS certificate all call {@link #issue}).
 *
 * <ol>
 *   <li>check the CSR (signature, key soundness) and the profile's key types, and refuse a key
 *       reported compromised ({@link BlockedKeys}, an in-memory set: no query per issuance);
 *   <li>authorize the names: those the door vouches for, or else the CSR's SANs, against the
 *       profile and the name policy (trust domain, permitted DNS suffixes);
 *   <li>build the certificate per RFC 5280 (random 128-bit serial, notBefore backdated
 *       {@link #BACKDATE} but not before the issuing CA's notBefore, notAfter = now + TTL capped by
 *       the issuing CA);
 *   <li>lint the TBSCertificate against the profile ({@link CertificateLint}: RFC 5280 and the
 *       CA/B BR points); a lint failure signs nothing;
 *   <li>pre-record the serial and the TBSCertificate ({@code precertificates}, group-committed
 *       through the {@link Journal}) before the CA key is used, so no serial is ever reused and
 *       every use of the key is accounted for;
 *   <li>sign with the issuing CA (a CA key in an HSM that cannot sign: 503, nothing issued);
 *   <li>record it durably through the {@link Journal} (group commit, with its audit entry in the
 *       same transaction, which also deletes the pre-record) — nothing is returned before that
 *       commit. {@link PrecertificateRecovery} resolves pre-records left without a certificate (a
 *       crash, or the final commit failed);
 *   <li>count it.
 * </ol>
 */
public final class IssuanceService {

  private static final Logger log = LoggerFactory.getLogger(IssuanceService.class);

  /** Clock-skew allowance: notBefore = now − 30 s. */
  public static final Duration BACKDATE = Duration.ofSeconds(30);

  private final ActiveCa ca;
  private final Map<String, Profile> profiles;
  private final Profile serverProfile;
  private final NamePolicy policy;
  private final NamePolicy serverPolicy;
  private final CsrChecker csrChecker = new CsrChecker(CryptoProviders.signing());
  /** One signer per issuing CA (it encodes the CA's fixed extensions once). */
  private final Map<Integer, Signing> signers = new java.util.concurrent.ConcurrentHashMap<>();

  private record Signing(CertificateSigner signer, URI crl, URI caIssuers) {}
  private final Journal journal;
  private final PgCertificateStore store;
  private final BlockedKeys blockedKeys;
  private final Clock clock;
  private final Metrics metrics;
  private final String publicHttpUrl;
  private final URI ocspUrl;
  private final ObjectMapper json = new ObjectMapper();

  private volatile IssuanceStats stats;

  /**
   * @param serverProfile the profile of the server's own HTTPS certificate, usable only by {@link Channel#SYSTEM}
   * @param serverPolicy the name policy for that profile (the permitted suffixes plus the server's host names)
   * @param publicHttpUrl base URL of the plain-HTTP port, for the CRL DP and AIA extensions
   */
  public IssuanceService(ActiveCa ca, Map<String, Profile> profiles, NamePolicy policy, Profile serverProfile,
      NamePolicy serverPolicy, Journal journal, PgCertificateStore store, BlockedKeys blockedKeys, Clock clock, Metrics metrics,
      String publicHttpUrl) {
    this.ca = ca;
    this.profiles = Map.copyOf(profiles);
    this.policy = policy;
    this.serverProfile = serverProfile;
    this.serverPolicy = serverPolicy;
    this.journal = journal;
    this.store = store;
    this.blockedKeys = blockedKeys;
    this.clock = clock;
    this.metrics = metrics;
    this.publicHttpUrl = publicHttpUrl;
    this.ocspUrl = URI.create(publicHttpUrl + "/ocsp");
  }

  /** Counts issuances and keeps recent refusals for the admin UI's overview. */
  public void recordStatsIn(IssuanceStats stats) {
    this.stats = stats;
  }

  public Map<String, Profile> profiles() {
    return profiles;
  }

  public IssuedCertificate issue(IssuanceRequest request) {
    long t0 = System.nanoTime();
    Profile profile = profileFor(request);
    String profileTag = profile == null ? "unknown" : profile.name();
    try {
      if (profile == null) {
        throw new RotorException(ErrorCode.UNKNOWN_PROFILE,
            "no profile named " + request.profile() + " (profiles: " + String.join(", ", profiles.keySet()) + ")");
      }
      IssuedCertificate issued = issueChecked(request, profile);
      metrics.issuance(profileTag, request.channel().wire(), "issued");
      if (stats != null) {
        stats.issued(profileTag, request.channel());
      }
      metrics.issuanceLatency(profileTag).record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
      return issued;
    } catch (RotorException e) {
      metrics.issuance(profileTag, request.channel().wire(), e.code().slug());
      if (stats != null) {
        stats.refused(request, profileTag, e);
      }
      throw e;
    }
  }

  /**
   * Runs the CSR checks of {@link #issue} (signature, key type for the profile) without issuing,
   * for doors that must spend something (a single-use token) only on a request that can succeed.
   */
  public void checkCsr(String csrPem, String profileName) {
    Profile profile = profiles.get(profileName);
    if (profile == null) {
      throw new RotorException(ErrorCode.UNKNOWN_PROFILE, "no profile named " + profileName);
    }
    try {
      CheckedCsr csr = csrChecker.check(csrPem);
      profile.checkKey(csr);
      refuseBlockedKey(csr);
    } catch (PkiException e) {
      throw PkiErrors.toRotor(e);
    }
  }

  /** Whether {@code key} was reported compromised (also refused as an ACME account key). */
  public boolean isKeyBlocked(java.security.PublicKey key) {
    return blockedKeys.isBlocked(key);
  }

  /** CA/Browser Forum BR §6.1.1.3(4): no certificate for a key reported compromised. */
  private void refuseBlockedKey(CheckedCsr csr) {
    if (blockedKeys.isBlocked(csr.publicKey())) {
      throw new RotorException(ErrorCode.BAD_PUBLIC_KEY, "the public key was reported compromised (a certificate"
          + " for it was revoked with reason keyCompromise); generate a new key");
    }
  }

  private Profile profileFor(IssuanceRequest request) {
    if (request.channel() == Channel.SYSTEM && request.profile().equals(serverProfile.name())) {
      return serverProfile;
    }
    return request.profile() == null ? null : profiles.get(request.profile());
  }

  private IssuedCertificate issueChecked(IssuanceRequest request, Profile profile) {
    CheckedCsr csr;
    Duration ttl;
    SubjectNames names;
    try {
      csr = csrChecker.check(request.csrPem());
      profile.checkKey(csr);
      refuseBlockedKey(csr);
      ttl = profile.resolveTtl(request.ttlSeconds());
      names = request.names().orElse(csr.names());
      (profile == serverProfile ? serverPolicy : policy).check(profile, names);
    } catch (PkiException e) {
      throw PkiErrors.toRotor(e);
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant notBefore = now.minus(BACKDATE);
    // The CA in force now (it changes when the CA rotates); the leaf stays within its validity.
    CertificateAuthority active = ca.current();
    Instant caNotBefore = active.issuingCertificate().getNotBefore().toInstant();
    if (notBefore.isBefore(caNotBefore)) {
      // A CA made (or imported) less than BACKDATE ago: stay within its validity (the lint gate's
      // validity-within-issuer rule found this; such a leaf was refused at every issuance before).
      notBefore = caNotBefore;
    }
    Instant notAfter = now.plus(ttl);
    Instant caNotAfter = active.notAfter();
    if (notAfter.isAfter(caNotAfter)) {
      // Never issue past the issuer (RFC 5280 path validation would fail); cap, unless too little is left.
      notAfter = caNotAfter;
      if (Duration.between(now, notAfter).compareTo(profile.minTtl()) < 0) {
        throw new RotorException(ErrorCode.UNAVAILABLE, "the issuing CA expires at " + caNotAfter
            + ", too soon for profile " + profile.name() + "; rotate the CA");
      }
    }
    BigInteger serial = Serials.random();
    String serialHex = Serials.toHex(serial);
    X500Name subject = subjectFor(names);
    byte[] tbs;
    CertificateSigner signer;
    try {
      // Each CA has its own CRL (RFC 5280 §5: a CRL covers one issuer) and its own certificate URL.
      Signing signing = signers.computeIfAbsent(active.issuerId(),
          id -> new Signing(new CertificateSigner(active.issuing(), CryptoProviders.signing()),
              crlUrl(id), caIssuersUrl(id)));
      signer = signing.signer();
      tbs = signer.tbs(new LeafTemplate(serial, csr.publicKey(), subject, names, notBefore, notAfter,
          profile.usages(), signing.crl(), ocspUrl, signing.caIssuers()), lintExpectation(profile, active.issuerId()));
    } catch (PkiException e) {
      throw PkiErrors.toRotor(e);
    } catch (SigningKeyUnavailableException e) {
      // Fail closed: the key's token (HSM) is gone; nothing is issued and nothing else signs.
      throw new RotorException(ErrorCode.UNAVAILABLE, "the CA key is unavailable (its PKCS#11 token failed); retry later", e);
    } catch (CertificateLint.LintFailure e) {
      throw lintRefused(request, profile, serialHex, e);
    }
    // 1. Pre-record: the serial and exactly what is about to be signed, committed durably (in a
    //    group commit shared with other issuances' pre-records and final records) before the CA key
    //    is used.
    journal.execute(tx -> {
      store.insertPrecertificate(tx, serialHex, active.issuerId(), profile.name(), request.channel().wire(),
          request.requester(), tbs);
      return null;
    });
    CrashPoint.AFTER_PRERECORD.reached();
    // 2. Sign.
    byte[] der;
    try {
      der = signer.signTbs(tbs);
    } catch (SigningKeyUnavailableException e) {
      // Fail closed: the key's token (HSM) is gone; nothing is issued (the pre-record is abandoned).
      throw new RotorException(ErrorCode.UNAVAILABLE, "the CA key is unavailable (its PKCS#11 token failed); retry later", e);
    }
    CrashPoint.AFTER_SIGN.reached();
    NewCertificate record = new NewCertificate(serialHex, active.issuerId(), profile.name(), request.channel().wire(),
        request.requester(), subject.toString(), names.asStrings(), notBefore, notAfter, der);
    String details = auditDetails(record, csr, request.auditDetails());
    // 3. The final record and its audit entry, durably; the certificate leaves only after this.
    journal.execute(tx -> {
      if (request.requestKey().isPresent() && !store.claimRequestKey(tx, request.requestKey().get(), serialHex)) {
        throw new RotorException(ErrorCode.CONFLICT, "request " + request.requestKey().get() + " was already issued");
      }
      store.insert(tx, record);
      tx.audit(request.requester(), "certificate.issued", serialHex, details);
      try {
        request.doorRecord().write(tx, serialHex);
      } catch (RotorException e) {
        // The journal rejects an item only before it changed anything; this item's certificate row
        // is already in the batch, so a refusal here must fail the whole transaction instead.
        throw new IllegalStateException("a door record refused after the certificate was recorded", e);
      }
      return null;
    });
    CrashPoint.AFTER_FINAL_COMMIT.reached();
    String leafPem = Pem.certificate(der);
    return new IssuedCertificate(serial, serialHex, der, leafPem, leafPem + active.chainAbovePem(), notBefore, notAfter,
        record.sans(), profile.name());
  }

  /** What the lint gate checks a certificate of {@code profile} against (also used by the checker job). */
  public CertificateLint.Expectation lintExpectation(Profile profile, int issuerId) {
    return CertificateLint.Expectation.of(profile, BACKDATE, crlUrl(issuerId), ocspUrl, caIssuersUrl(issuerId));
  }

  /** The CRL distribution point written into the certificates of CA {@code issuerId}. */
  private URI crlUrl(int issuerId) {
    return URI.create(publicHttpUrl + "/crl/" + issuerId);
  }

  /** The AIA caIssuers URL written into the certificates of CA {@code issuerId}. */
  private URI caIssuersUrl(int issuerId) {
    return URI.create(publicHttpUrl + "/ca/issuers/" + issuerId + ".crt");
  }

  /** The profile a stored certificate was issued under, including the server's own; null if unknown. */
  public Profile profileNamed(String name) {
    return serverProfile.name().equals(name) ? serverProfile : profiles.get(name);
  }

  /**
   * A certificate Rotor built broke its own profile: count it per rule, log it and audit it (names,
   * rules and serial only — the findings carry no key material), and refuse with a 500 naming the
   * rules. The audit entry is best effort: if writing it fails, the refusal still goes out.
   */
  private RotorException lintRefused(IssuanceRequest request, Profile profile, String serialHex,
      CertificateLint.LintFailure e) {
    for (CertificateLint.Finding f : e.findings()) {
      metrics.lintFailure(f.rule().id());
    }
    log.error("certificate lint failed profile={} channel={} serial={} rules={} findings=\"{}\"", profile.name(),
        request.channel().wire(), serialHex, e.ruleIds(), e.findings());
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("serial", serialHex);
    d.put("profile", profile.name());
    d.put("channel", request.channel().wire());
    d.put("rules", e.ruleIds());
    d.put("findings", e.findings().stream().map(CertificateLint.Finding::toString).toList());
    try {
      String details = json.writeValueAsString(d);
      journal.execute(tx -> {
        tx.audit(request.requester(), "certificate.lint-failed", serialHex, details);
        return null;
      });
    } catch (JsonProcessingException | RuntimeException auditFailure) {
      log.warn("could not audit a lint failure serial={}", serialHex, auditFailure);
    }
    return new RotorException(ErrorCode.CERTIFICATE_LINT, "the certificate built for this request failed the lint gate"
        + " (rules: " + e.ruleIds() + "); nothing was issued", e);
  }

  /** CN = the first DNS name when it fits (64 chars, RFC 5280 ub-common-name); otherwise an empty subject. */
  private static X500Name subjectFor(SubjectNames names) {
    Optional<String> dns = names.dns().stream().filter(d -> d.length() <= 64).findFirst();
    if (dns.isEmpty()) {
      return new X500Name(new org.bouncycastle.asn1.x500.RDN[0]);
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, dns.get()).build();
  }

  private String auditDetails(NewCertificate c, CheckedCsr csr, Map<String, Object> fromDoor) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("serial", c.serial());
    d.put("profile", c.profile());
    d.put("channel", c.channel());
    d.put("sans", c.sans());
    d.put("keyType", csr.keyType().name());
    d.put("notBefore", c.notBefore().toString());
    d.put("notAfter", c.notAfter().toString());
    // The door's fields come last and never replace the certificate's own.
    fromDoor.forEach(d::putIfAbsent);
    try {
      return json.writeValueAsString(d);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
