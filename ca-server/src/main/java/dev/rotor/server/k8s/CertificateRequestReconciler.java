package dev.rotor.server.k8s;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CheckedCsr;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.CsrChecker;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.Pem;
import dev.rotor.pki.Profile;
import dev.rotor.pki.SpiffeId;
import dev.rotor.pki.Usage;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.issuance.Channel;
import dev.rotor.server.issuance.IssuanceRequest;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.issuance.IssuedCertificate;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgCertificateStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what one cert-manager CertificateRequest gets, and signs it through the one door.
 *
 * <p>In order: not {@code rotor.dev} → ignored; finished (Ready True, or Failed/Denied) →
 * ignored; {@code Denied} → denied; not {@code Approved} → left alone; already recorded under its
 * UID → the recorded certificate again (never a second signature); issuer missing or its profile
 * unknown → wait; then the request's own checks (CSR, {@code isCA}, usages, duration, names for
 * its namespace), and {@link IssuanceService#issue} with the UID as idempotency key.
 */
public final class CertificateRequestReconciler {

  /** Longest {@code spec.request} accepted (base64 of a PEM CSR); larger is refused before decoding. */
  static final int MAX_REQUEST_CHARS = 128 * 1024;

  /** The cert-manager key usages every Rotor certificate may carry (keyUsage digitalSignature, keyEncipherment for RSA). */
  private static final Set<String> KEY_USAGES = Set.of("digital signature", "key encipherment");

  /** Where the reconciler finds issuers: the controller's informer caches. */
  interface Issuers {
    Optional<GenericKubernetesResource> issuer(String namespace, String name);

    Optional<GenericKubernetesResource> clusterIssuer(String name);
  }

  private final IssuanceService issuance;
  private final PgCertificateStore certificates;
  private final ActiveCa ca;
  private final Journal journal;
  private final CsrChecker csrChecker = new CsrChecker(CryptoProviders.signing());
  private final ObjectMapper json = new ObjectMapper();

  public CertificateRequestReconciler(IssuanceService issuance, PgCertificateStore certificates, ActiveCa ca,
      Journal journal) {
    this.issuance = issuance;
    this.certificates = certificates;
    this.ca = ca;
    this.journal = journal;
  }

  /** Whether the request names a {@code rotor.dev} issuer. */
  static boolean isOurs(GenericKubernetesResource cr) {
    return Resources.GROUP.equals(Resources.map(Resources.spec(cr).get("issuerRef")).get("group"));
  }

  /** Whether Rotor already wrote its final word on this request. */
  static boolean isFinished(GenericKubernetesResource cr) {
    Map<String, Object> status = Resources.status(cr);
    if (Resources.isTrue(status, Conditions.READY) || Resources.isTrue(status, Conditions.INVALID_REQUEST)) {
      return true;
    }
    return Resources.condition(status, Conditions.READY)
        .map(c -> Conditions.Reason.FAILED.wire().equals(c.get("reason")) || Conditions.Reason.DENIED.wire().equals(c.get("reason")))
        .orElse(false);
  }

  public Outcome sync(GenericKubernetesResource cr, Issuers issuers) {
    if (!isOurs(cr)) {
      return new Outcome.Ignore("issuerRef.group is not " + Resources.GROUP);
    }
    if (isFinished(cr)) {
      return new Outcome.Ignore("finished");
    }
    Map<String, Object> status = Resources.status(cr);
    boolean denied = Resources.isTrue(status, Conditions.DENIED);
    if (!denied && !Resources.isTrue(status, Conditions.APPROVED)) {
      return new Outcome.Ignore("not approved yet");
    }
    String uid = cr.getMetadata().getUid();
    try {
      if (denied) {
        String why = Resources.condition(status, Conditions.DENIED).flatMap(c -> Resources.string(c, "message")).orElse("denied");
        audit(cr, "certificaterequest.denied", Map.of("message", why));
        return new Outcome.Denied("The CertificateRequest was denied by an approval controller: " + why);
      }
      Optional<CertificateRecord> recorded = certificates.findByRequestKey(uid);
      if (recorded.isPresent()) {
        // Signed before, status not written (crash, conflict, API server error): the same certificate again.
        return issued(recorded.get().serial(), Pem.certificate(recorded.get().der()) + ca.current().chainAbovePem(recorded.get().issuerId()), true);
      }
      return signOrRefuse(cr, issuers);
    } catch (RotorException e) {
      if (e.code().isTransient()) {
        return new Outcome.Retry(e.getMessage());
      }
      throw e;
    }
  }

  private Outcome signOrRefuse(GenericKubernetesResource cr, Issuers issuers) {
    Map<String, Object> spec = Resources.spec(cr);
    Map<String, Object> ref = Resources.map(spec.get("issuerRef"));
    String namespace = cr.getMetadata().getNamespace();
    String kind = Resources.string(ref, "kind").orElse("Issuer");
    String issuerName = Resources.string(ref, "name").orElse("");
    Optional<GenericKubernetesResource> issuer = switch (kind) {
      case "Issuer" -> issuers.issuer(namespace, issuerName);
      case "ClusterIssuer" -> issuers.clusterIssuer(issuerName);
      default -> Optional.empty();
    };
    if (issuer.isEmpty()) {
      return new Outcome.Wait("Referenced " + kind + " " + Resources.GROUP + "/" + issuerName + " not found");
    }
    Map<String, Object> issuerSpec = Resources.spec(issuer.get());
    String profileName = Resources.string(issuerSpec, "profile").orElse("");
    Profile profile = issuance.profiles().get(profileName);
    if (profile == null) {
      return new Outcome.Wait(kind + " " + issuerName + " names profile \"" + profileName + "\", which does not exist");
    }
    Optional<Duration> maxTtl;
    try {
      maxTtl = Resources.string(issuerSpec, "maxTtl").map(GoDuration::parse);
    } catch (IllegalArgumentException e) {
      return new Outcome.Wait(kind + " " + issuerName + ": spec.maxTtl: " + e.getMessage());
    }
    List<String> allowed = Resources.strings(issuerSpec, "allowedNamespaces");
    if (kind.equals("ClusterIssuer") && issuerSpec.containsKey("allowedNamespaces") && !allowed.contains(namespace)) {
      return failed(cr, ErrorCode.FORBIDDEN, "ClusterIssuer " + issuerName + " does not sign requests from namespace " + namespace);
    }

    Object isCa = spec.get("isCA");
    if (Boolean.TRUE.equals(isCa)) {
      return failed(cr, ErrorCode.MALFORMED_REQUEST, "spec.isCA is true, but profile " + profile.name()
          + " issues end-entity certificates only (no Rotor profile issues CA certificates)");
    }
    Optional<String> usageProblem = usageProblem(Resources.strings(spec, "usages"), profile);
    if (usageProblem.isPresent()) {
      return failed(cr, ErrorCode.MALFORMED_REQUEST, usageProblem.get());
    }
    Integer ttlSeconds;
    try {
      ttlSeconds = ttlSeconds(Resources.string(spec, "duration").map(GoDuration::parse), maxTtl, profile);
    } catch (IllegalArgumentException e) {
      return failed(cr, ErrorCode.BAD_TTL, "spec.duration: " + e.getMessage());
    }

    String csrPem;
    CheckedCsr csr;
    try {
      csrPem = decodeRequest(spec.get("request"));
      csr = csrChecker.check(csrPem);
    } catch (IllegalArgumentException e) {
      return failed(cr, ErrorCode.BAD_CSR, "spec.request: " + e.getMessage());
    } catch (PkiException e) {
      return failed(cr, ErrorCode.BAD_CSR, "spec.request: " + e.getMessage());
    }
    for (URI uri : csr.names().uris()) {
      Optional<String> problem = spiffeProblem(uri, namespace);
      if (problem.isPresent()) {
        return failed(cr, ErrorCode.REJECTED_IDENTIFIER, problem.get());
      }
    }

    IssuedCertificate issued;
    try {
      issued = issuance.issue(new IssuanceRequest(csrPem, Optional.of(csr.names()), profile.name(), ttlSeconds,
          requester(cr), Channel.CRD, Optional.of(cr.getMetadata().getUid()), requestDetails(cr)));
    } catch (RotorException e) {
      if (e.code() == ErrorCode.CONFLICT) {
        // Another worker or replica signed it meanwhile: answer with that one.
        return certificates.findByRequestKey(cr.getMetadata().getUid())
            .map(r -> issued(r.serial(), Pem.certificate(r.der()) + ca.current().chainAbovePem(r.issuerId()), true))
            .orElseThrow(() -> new RotorException(ErrorCode.UNAVAILABLE, "request recorded but its certificate is not visible yet"));
      }
      if (e.code().isTransient()) {
        throw e;
      }
      return failed(cr, e.code(), e.getMessage());
    }
    // Audited by the issuance itself (certificate.issued, with the request's fields), in its transaction.
    return issued(issued.serialHex(), issued.chainPem(), false);
  }

  private Outcome issued(String serial, String chainPem, boolean reused) {
    Base64.Encoder b64 = Base64.getEncoder();
    return new Outcome.Issued(serial, b64.encodeToString(chainPem.getBytes(StandardCharsets.US_ASCII)),
        b64.encodeToString(ca.current().bundlePem().getBytes(StandardCharsets.US_ASCII)), reused);
  }

  private Outcome failed(GenericKubernetesResource cr, ErrorCode code, String message) {
    audit(cr, "certificaterequest.failed", Map.of("problem", code.slug(), "message", message));
    return new Outcome.Failed(message);
  }

  /**
   * The requested lifetime: {@code spec.duration}, shortened to the issuer's {@code maxTtl}; the
   * profile's bounds are checked by the issuance core (a longer duration than the profile allows
   * fails the request).
   */
  static Integer ttlSeconds(Optional<Duration> requested, Optional<Duration> issuerMax, Profile profile) {
    Duration ttl = requested.orElse(null);
    if (issuerMax.isPresent()) {
      Duration cap = issuerMax.get();
      if (ttl == null) {
        ttl = profile.defaultTtl().compareTo(cap) > 0 ? cap : null;
      } else if (ttl.compareTo(cap) > 0) {
        ttl = cap;
      }
    }
    if (ttl == null) {
      return null;
    }
    if (ttl.toSeconds() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("too long");
    }
    return (int) ttl.toSeconds();
  }

  /** cert-manager usage names that this profile cannot put into a certificate. */
  static Optional<String> usageProblem(List<String> usages, Profile profile) {
    List<String> granted = new java.util.ArrayList<>(KEY_USAGES);
    if (profile.usages().contains(Usage.SERVER_AUTH)) {
      granted.add("server auth");
    }
    if (profile.usages().contains(Usage.CLIENT_AUTH)) {
      granted.add("client auth");
    }
    for (String u : usages) {
      if (!granted.contains(u.toLowerCase(Locale.ROOT))) {
        return Optional.of("spec.usages: \"" + u + "\" is not granted by profile " + profile.name() + " (it grants "
            + String.join(", ", granted.stream().sorted().toList()) + ")");
      }
    }
    return Optional.empty();
  }

  /** A SPIFFE ID in a CertificateRequest must be a workload of the request's own namespace. */
  static Optional<String> spiffeProblem(URI uri, String namespace) {
    if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("spiffe")) {
      return Optional.empty(); // the name policy refuses it with its own message
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(uri.toString());
    } catch (PkiException e) {
      return Optional.of(e.getMessage());
    }
    String prefix = "/ns/" + namespace + "/";
    if (!id.path().startsWith(prefix)) {
      return Optional.of("SPIFFE ID " + id + " is not in namespace " + namespace
          + "; a CertificateRequest may only name spiffe://<trust domain>/ns/" + namespace + "/sa/<serviceaccount>");
    }
    return Optional.empty();
  }

  private static String decodeRequest(Object request) {
    if (!(request instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException("missing");
    }
    if (s.length() > MAX_REQUEST_CHARS) {
      throw new IllegalArgumentException("larger than " + MAX_REQUEST_CHARS + " characters");
    }
    byte[] pem;
    try {
      pem = Base64.getMimeDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64");
    }
    return new String(pem, StandardCharsets.US_ASCII);
  }

  /** The principal recorded with the certificate: the user cert-manager says created the request. */
  static String requester(GenericKubernetesResource cr) {
    return "k8s:" + Resources.string(Resources.spec(cr), "username").orElse("unknown");
  }

  /** The request's identity and requester, for the audit log. */
  static Map<String, Object> requestDetails(GenericKubernetesResource cr) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("namespace", cr.getMetadata().getNamespace());
    d.put("name", cr.getMetadata().getName());
    d.put("uid", cr.getMetadata().getUid());
    d.put("username", Resources.string(Resources.spec(cr), "username").orElse(""));
    d.put("groups", Resources.strings(Resources.spec(cr), "groups"));
    return d;
  }

  /** One audit entry naming the request (namespace/name, UID) and who asked (username, groups). */
  private void audit(GenericKubernetesResource cr, String action, Map<String, Object> extra) {
    Map<String, Object> d = new LinkedHashMap<>(requestDetails(cr));
    d.putAll(extra);
    String details;
    try {
      details = json.writeValueAsString(d);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    String target = cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
    journal.execute(tx -> {
      tx.audit(requester(cr), action, target, details);
      return null;
    });
  }
}
