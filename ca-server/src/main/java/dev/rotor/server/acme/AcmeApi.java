package dev.rotor.server.acme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWK;
import dev.rotor.pki.CheckedCsr;
import dev.rotor.pki.CryptoProviders;
import dev.rotor.pki.CsrChecker;
import dev.rotor.pki.NameForm;
import dev.rotor.pki.NamePolicy;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.Profile;
import dev.rotor.pki.RevocationReason;
import dev.rotor.pki.Serials;
import dev.rotor.pki.SubjectNames;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.Metrics;
import dev.rotor.server.RotorException;
import dev.rotor.server.api.Exchange;
import dev.rotor.server.api.Principal;
import dev.rotor.server.api.Role;
import dev.rotor.server.api.Router;
import dev.rotor.server.api.TokenAuthenticator;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.issuance.Channel;
import dev.rotor.server.issuance.IssuanceRequest;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.issuance.IssuedCertificate;
import dev.rotor.server.revocation.RevocationService;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgCertificateStore;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACME endpoints (RFC 8555 §7), one directory per ACME-capable profile under
 * {@code /acme/<profile>/}, and the operators' {@code POST /api/v1/acme/eab}.
 *
 * <p>Every ACME answer, errors included, carries a fresh {@code Replay-Nonce} and a
 * {@code Link rel="index"} to the directory. Every POST is a flattened JWS checked by
 * {@link #verify}: shape, algorithm, nonce (checked first, spent last, after the signature
 * verified, so a bad request does not burn it), {@code url} equal to the request URL, exactly one
 * of {@code jwk}/{@code kid}, the account valid. Issuance goes through {@link IssuanceService}
 * with {@link Channel#ACME}; revocation through {@link RevocationService}.
 */
public final class AcmeApi implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AcmeApi.class);
  private static final String JOSE = "application/jose+json";
  private static final int MAX_ORDERS_LISTED = 1000;
  private static final int MAX_CACHED_VERIFIERS = 10_000;

  private final AcmeStore store;
  private final Nonces nonces;
  private final AcmeSettings settings;
  private final IssuanceService issuance;
  private final RevocationService revocation;
  private final PgCertificateStore certificates;
  private final ActiveCa ca;
  private final Journal journal;
  private final TokenAuthenticator auth;
  private final NamePolicy policy;
  private final Clock clock;
  private final Metrics metrics;
  private final ObjectMapper json;
  private final CsrChecker csrChecker = new CsrChecker(CryptoProviders.signing());
  private final SecureRandom random = new SecureRandom();
  private final Http01Validator http01;
  private final ValidationWorker worker;
  private final Map<String, Jws.Verifier> verifiers = new java.util.concurrent.ConcurrentHashMap<>();

  public AcmeApi(AcmeStore store, AcmeSettings settings, IssuanceService issuance, RevocationService revocation,
      PgCertificateStore certificates, ActiveCa ca, Journal journal, TokenAuthenticator auth, NamePolicy policy,
      Clock clock, Metrics metrics, ObjectMapper json) throws Exception {
    this.store = store;
    byte[] candidate = new byte[32];
    random.nextBytes(candidate);
    this.nonces = new Nonces(store.secret("nonce-hmac", candidate), store, clock);
    this.settings = settings;
    this.issuance = issuance;
    this.revocation = revocation;
    this.certificates = certificates;
    this.ca = ca;
    this.journal = journal;
    this.auth = auth;
    this.policy = policy;
    this.clock = clock;
    this.metrics = metrics;
    this.json = json;
    HostResolver resolver = new HostResolver(settings.staticHosts(), settings.dnsServer());
    this.http01 = new Http01Validator(resolver, settings.http01Port());
    this.worker = new ValidationWorker(store, Map.of(
        "http-01", http01,
        "dns-01", new Dns01Validator(resolver),
        "tls-alpn-01", new TlsAlpn01Validator(resolver, settings.tlsAlpn01Port())), clock, json, metrics, this::resumeFinalize).start();
  }

  public void register(Router router) {
    router.route("GET", "/acme/{profile}/directory", acme("directory", this::directory))
        .route("HEAD", "/acme/{profile}/new-nonce", acme("new-nonce", (ex, b) -> ex.send(200, "text/plain", new byte[0])))
        .route("GET", "/acme/{profile}/new-nonce", acme("new-nonce", (ex, b) -> ex.send(204, "text/plain", new byte[0])))
        .route("POST", "/acme/{profile}/new-account", acme("new-account", this::newAccount))
        .route("POST", "/acme/{profile}/acct/{id}", acme("account", this::account))
        .route("POST", "/acme/{profile}/acct/{id}/orders", acme("account-orders", this::accountOrders))
        .route("POST", "/acme/{profile}/key-change", acme("key-change", this::keyChange))
        .route("POST", "/acme/{profile}/new-order", acme("new-order", this::newOrder))
        .route("POST", "/acme/{profile}/order/{id}", acme("order", this::order))
        .route("POST", "/acme/{profile}/order/{id}/finalize", acme("finalize", this::finalizeOrder))
        .route("POST", "/acme/{profile}/authz/{id}", acme("authz", this::authorization))
        .route("POST", "/acme/{profile}/chall/{id}", acme("challenge", this::challenge))
        .route("POST", "/acme/{profile}/cert/{serial}", acme("certificate", this::certificate))
        .route("POST", "/acme/{profile}/revoke-cert", acme("revoke-cert", this::revokeCert))
        .route("GET", "/acme/{profile}/renewal-info/{certId}", acme("renewal-info", this::renewalInfo))
        .route("POST", "/api/v1/acme/eab", this::createEabKey);
  }

  // ---- plumbing

  /** The URLs of one profile's directory, from the scheme and authority the client used. */
  record Base(String root, String profile) {
    String url(String path) {
      return root + "/" + path;
    }
  }

  @FunctionalInterface
  interface Handler {
    void handle(Exchange ex, Base base) throws Exception;
  }

  private Router.Endpoint acme(String name, Handler handler) {
    return ex -> {
      ex.responseHeader("Replay-Nonce", nonces.issue());
      String outcome = "ok";
      try {
        Base base = base(ex);
        ex.responseHeader("Link", "<" + base.url("directory") + ">;rel=\"index\"");
        handler.handle(ex, base);
      } catch (AcmeException e) {
        outcome = e.error().wire();
        problem(ex, e);
      } catch (RotorException e) {
        AcmeException a = AcmeProblems.fromCore(e);
        if (e.code().httpStatus() >= 500) {
          log.warn("acme request failed endpoint={} code={} trace={}", name, e.code(), trace(), e);
        }
        outcome = a.error().wire();
        problem(ex, a);
      } catch (Exception e) {
        String trace = trace();
        log.error("acme request failed endpoint={} trace={}", name, trace, e);
        outcome = AcmeError.SERVER_INTERNAL.wire();
        problem(ex, new AcmeException(AcmeError.SERVER_INTERNAL, "internal error (trace " + trace + ")"));
      }
      metrics.acmeRequest(name, outcome);
    };
  }

  private void problem(Exchange ex, AcmeException e) throws Exception {
    e.headers().forEach(ex::responseHeader);
    ex.send(e.status(), "application/problem+json", json.writeValueAsBytes(AcmeProblems.document(e)));
  }

  private static String trace() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  private Base base(Exchange ex) {
    String profile = ex.path("profile");
    Profile p = issuance.profiles().get(profile);
    if (p == null || !isAcmeProfile(p)) {
      throw AcmeException.notFound("ACME directory " + profile);
    }
    HttpURI uri = ex.request().getHttpURI();
    return new Base(uri.getScheme() + "://" + uri.getAuthority() + "/acme/" + profile, profile);
  }

  /** Profiles for web servers: DNS names and IPs only, no SPIFFE ID. */
  static boolean isAcmeProfile(Profile p) {
    return !p.requireSpiffe() && !p.nameForms().contains(NameForm.SPIFFE) && p.nameForms().contains(NameForm.DNS);
  }

  private static String requestUrl(Exchange ex) {
    HttpURI uri = ex.request().getHttpURI();
    return uri.getScheme() + "://" + uri.getAuthority() + uri.getPath();
  }

  /** A verified request: the JWS, the account (when one exists for the key or kid) and the key that signed. */
  record Verified(Jws jws, Optional<AcmeStore.Account> account, JWK key) {
    AcmeStore.Account requireAccount() {
      return account.orElseThrow(() -> new AcmeException(AcmeError.ACCOUNT_DOES_NOT_EXIST, "no account for this key"));
    }
  }

  enum KeyForm { KID, JWK, EITHER }

  private Verified verify(Exchange ex, Base base, KeyForm form) throws Exception {
    String ct = ex.header(HttpHeader.CONTENT_TYPE);
    if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith(JOSE)) {
      throw new AcmeException(AcmeError.MALFORMED, 415, "send Content-Type: " + JOSE, List.of(), Map.of());
    }
    Jws jws = Jws.parse(ex.body(), json);
    Instant nonceExpires = nonces.check(jws.nonce());
    if (jws.url() == null || !jws.url().equals(requestUrl(ex))) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the url in the protected header is not the URL of this request");
    }
    Optional<AcmeStore.Account> account;
    JWK key;
    if (jws.jwk() != null) {
      if (form == KeyForm.KID) {
        throw new AcmeException(AcmeError.MALFORMED, "this resource needs kid (the account URL), not jwk");
      }
      key = jws.jwk();
      jws.verify(key);
      account = store.accountByThumbprint(Jws.thumbprint(key));
    } else {
      if (form == KeyForm.JWK) {
        throw new AcmeException(AcmeError.MALFORMED, "this resource needs jwk, not kid");
      }
      String prefix = base.url("acct/");
      if (!jws.kid().startsWith(prefix)) {
        throw new AcmeException(AcmeError.ACCOUNT_DOES_NOT_EXIST, "kid is not an account URL of this directory");
      }
      long id = parseId(jws.kid().substring(prefix.length()));
      AcmeStore.Account a = store.account(id)
          .orElseThrow(() -> new AcmeException(AcmeError.ACCOUNT_DOES_NOT_EXIST, "no account " + jws.kid()));
      Jws.Verifier verifier = accountVerifier(jws.alg(), a.jwk());
      key = verifier.key();
      jws.verify(verifier);
      if (!a.status().equals("valid")) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "the account is " + a.status());
      }
      account = Optional.of(a);
    }
    nonces.spend(jws.nonce(), nonceExpires);
    return new Verified(jws, account, key);
  }

  /**
   * The verifier for an account key as stored, for {@code alg}: parsed and checked once per key and
   * algorithm, not per request. The account row is still read for every request (its status and
   * its current key), so a deactivation or key change on any replica applies at once.
   */
  private Jws.Verifier accountVerifier(String alg, String jwk) throws java.text.ParseException {
    String cacheKey = alg + " " + jwk;
    Jws.Verifier v = verifiers.get(cacheKey);
    if (v == null) {
      v = Jws.Verifier.of(alg, JWK.parse(jwk));
      if (verifiers.size() >= MAX_CACHED_VERIFIERS) {
        verifiers.clear();
      }
      verifiers.put(cacheKey, v);
    }
    return v;
  }

  private static long parseId(String s) {
    try {
      long id = Long.parseLong(s);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw AcmeException.notFound("resource " + s);
  }

  private void reply(Exchange ex, int status, Object body) throws Exception {
    ex.send(status, "application/json", json.writeValueAsBytes(body));
  }

  private static void requirePostAsGet(Verified v) {
    if (!v.jws().isPostAsGet()) {
      throw new AcmeException(AcmeError.MALFORMED, "this resource is read with POST-as-GET (an empty payload)");
    }
  }

  // ---- directory

  private void directory(Exchange ex, Base base) throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("newNonce", base.url("new-nonce"));
    d.put("newAccount", base.url("new-account"));
    d.put("newOrder", base.url("new-order"));
    d.put("revokeCert", base.url("revoke-cert"));
    d.put("keyChange", base.url("key-change"));
    d.put("renewalInfo", base.url("renewal-info"));
    Map<String, Object> meta = new LinkedHashMap<>();
    settings.termsOfService().ifPresent(t -> meta.put("termsOfService", t));
    meta.put("externalAccountRequired", settings.externalAccountRequired());
    List<String> acmeProfiles = issuance.profiles().values().stream().filter(AcmeApi::isAcmeProfile).map(Profile::name).toList();
    if (acmeProfiles.size() > 1) {
      Map<String, Object> profiles = new LinkedHashMap<>();
      for (String p : acmeProfiles) {
        Profile pr = issuance.profiles().get(p);
        profiles.put(p, "certificates for " + pr.defaultTtl() + " at /acme/" + p + "/directory");
      }
      meta.put("profiles", profiles);
    }
    d.put("meta", meta);
    // The directory changes only with the configuration: let clients keep it (acme4j re-reads it per request otherwise).
    ex.responseHeader("Cache-Control", "public, max-age=86400");
    reply(ex, 200, d);
  }

  // ---- accounts

  private Map<String, Object> accountJson(Base base, AcmeStore.Account a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", a.status());
    m.put("contact", a.contact());
    m.put("termsOfServiceAgreed", a.tosAgreed());
    m.put("orders", base.url("acct/" + a.id() + "/orders"));
    return m;
  }

  private void newAccount(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.JWK);
    ObjectNode p = v.jws().payloadObject(json);
    if (v.account().isPresent()) {
      AcmeStore.Account a = v.account().get();
      if (!a.status().equals("valid")) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "the account for this key is " + a.status());
      }
      ex.responseHeader("Location", base.url("acct/" + a.id()));
      reply(ex, 200, accountJson(base, a));
      return;
    }
    if (p.path("onlyReturnExisting").asBoolean(false)) {
      throw new AcmeException(AcmeError.ACCOUNT_DOES_NOT_EXIST, "no account exists for this key");
    }
    acceptAccountKey(v.key());
    List<String> contact = contacts(p.get("contact"));
    boolean tos = p.path("termsOfServiceAgreed").asBoolean(false);
    if (settings.termsOfService().isPresent() && !tos) {
      throw new AcmeException(AcmeError.MALFORMED, "agree to the terms of service " + settings.termsOfService().get());
    }
    JsonNode eab = p.get("externalAccountBinding");
    String eabKeyId = null;
    if (eab != null && !eab.isNull()) {
      eabKeyId = ExternalAccountBinding.keyId(eab, requestUrl(ex), json);
      String kid = eabKeyId;
      AcmeStore.EabKey key = store.read(c -> store.eabKeyForUpdate(c, kid))
          .orElseThrow(() -> new AcmeException(AcmeError.UNAUTHORIZED, "unknown externalAccountBinding key"));
      if (key.usedAt() != null) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "the externalAccountBinding key has already bound an account");
      }
      ExternalAccountBinding.verify(eab, key.hmacKey(), v.key());
    } else if (settings.externalAccountRequired()) {
      throw new AcmeException(AcmeError.EXTERNAL_ACCOUNT_REQUIRED, "this server requires externalAccountBinding");
    }
    String thumbprint = Jws.thumbprint(v.key());
    String jwk = Jws.publicJson(v.key());
    String boundKey = eabKeyId;
    // One journal transaction: the account, the EAB key spent, the audit entry. Outcomes are
    // returned, never thrown after a write (a journal item must not fail half-done).
    long[] outcome = journal.execute(tx -> {
      Optional<AcmeStore.Account> existing = store.accountByThumbprint(tx.connection(), thumbprint);
      if (existing.isPresent()) {
        return new long[] {existing.get().id(), 0};
      }
      if (boundKey != null) {
        Optional<AcmeStore.EabKey> k = store.eabKeyForUpdate(tx.connection(), boundKey);
        if (k.isEmpty() || k.get().usedAt() != null) {
          return new long[] {0, -1};
        }
      }
      Optional<Long> id = store.insertAccount(tx.connection(), thumbprint, jwk, contact, tos, boundKey);
      if (id.isEmpty()) {
        return new long[] {0, -2};
      }
      if (boundKey != null) {
        store.useEabKey(tx.connection(), boundKey, id.get());
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("account", id.get());
      d.put("thumbprint", thumbprint);
      d.put("externalAccountBinding", boundKey);
      tx.audit("acme:" + id.get(), "acme.account.created", "acme:" + id.get(), json.writeValueAsString(d));
      return new long[] {id.get(), 1};
    });
    if (outcome[1] == -1) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the externalAccountBinding key has already bound an account");
    }
    if (outcome[1] == -2) {
      throw new AcmeException(AcmeError.MALFORMED, 409, "another request created an account for this key; retry", List.of(), Map.of());
    }
    AcmeStore.Account a = store.account(outcome[0]).orElseThrow();
    ex.responseHeader("Location", base.url("acct/" + a.id()));
    reply(ex, outcome[1] == 1 ? 201 : 200, accountJson(base, a));
  }

  private List<String> contacts(JsonNode node) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray() || node.size() > 10) {
      throw new AcmeException(AcmeError.MALFORMED, "contact must be an array of at most 10 URLs");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode c : node) {
      String s = c.asText("");
      if (!s.startsWith("mailto:") || s.length() > 254 || s.contains(",") || !s.substring(7).matches("[^@\\s]+@[^@\\s]+")) {
        throw new AcmeException(AcmeError.MALFORMED, "contact " + (s.length() > 64 ? s.substring(0, 64) : s)
            + " is not a mailto: URL with one address");
      }
      out.add(s);
    }
    return out;
  }

  private AcmeStore.Account ownAccount(Exchange ex, Base base, Verified v) {
    AcmeStore.Account a = v.requireAccount();
    if (a.id() != parseId(ex.path("id"))) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the account URL is not the signer's");
    }
    return a;
  }

  private void account(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Account a = ownAccount(ex, base, v);
    if (!v.jws().isPostAsGet()) {
      ObjectNode p = v.jws().payloadObject(json);
      String status = p.hasNonNull("status") ? p.get("status").asText() : null;
      if (status != null && !status.equals("deactivated") && !status.equals("valid")) {
        throw new AcmeException(AcmeError.MALFORMED, "an account's status can only be set to deactivated");
      }
      List<String> contact = p.has("contact") ? contacts(p.get("contact")) : null;
      String newStatus = "deactivated".equals(status) ? "deactivated" : null;
      if (contact != null || newStatus != null) {
        boolean changed = journal.execute(tx -> {
          if (!store.updateAccount(tx.connection(), a.id(), contact, newStatus)) {
            return false;
          }
          tx.audit("acme:" + a.id(), newStatus != null ? "acme.account.deactivated" : "acme.account.updated", "acme:" + a.id(),
              json.writeValueAsString(Map.of("account", a.id())));
          return true;
        });
        if (!changed) {
          throw new AcmeException(AcmeError.UNAUTHORIZED, "the account is no longer valid");
        }
      }
    }
    reply(ex, 200, accountJson(base, store.account(a.id()).orElseThrow()));
  }

  private void accountOrders(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Account a = ownAccount(ex, base, v);
    requirePostAsGet(v);
    List<String> urls = store.orderIds(a.id(), clock.instant(), MAX_ORDERS_LISTED).stream().map(id -> base.url("order/" + id)).toList();
    reply(ex, 200, Map.of("orders", urls));
  }

  /**
   * A key about to become an account key gets the checks a CSR key gets ({@code KeyChecks}) and
   * must not be one reported compromised (a keyCompromise revocation blocks it for accounts too,
   * as Boulder does); RFC 8555 §6.7 badPublicKey otherwise.
   */
  private void acceptAccountKey(JWK key) {
    Jws.checkKeySoundness(key);
    if (issuance.isKeyBlocked(Jws.publicKey(key))) {
      throw new AcmeException(AcmeError.BAD_PUBLIC_KEY, "the key was reported compromised (a certificate for it was"
          + " revoked with reason keyCompromise); use a new key");
    }
  }

  private void keyChange(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Account a = v.requireAccount();
    Jws inner = Jws.parse(v.jws().payload(), json);
    if (inner.jwk() == null) {
      throw new AcmeException(AcmeError.MALFORMED, "the inner JWS of a key change must carry the new key as jwk");
    }
    if (inner.nonce() != null) {
      throw new AcmeException(AcmeError.MALFORMED, "the inner JWS of a key change must not carry a nonce");
    }
    if (!v.jws().url().equals(inner.url())) {
      throw new AcmeException(AcmeError.MALFORMED, "the inner and outer url of a key change differ");
    }
    inner.verify(inner.jwk());
    acceptAccountKey(inner.jwk());
    ObjectNode p = inner.payloadObject(json);
    if (!v.jws().kid().equals(p.path("account").asText())) {
      throw new AcmeException(AcmeError.MALFORMED, "the key change names another account");
    }
    JWK oldKey;
    try {
      oldKey = JWK.parse(json.writeValueAsString(p.get("oldKey")));
    } catch (Exception e) {
      throw new AcmeException(AcmeError.MALFORMED, "oldKey is not a JWK");
    }
    if (!Jws.thumbprint(oldKey).equals(a.thumbprint())) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "oldKey is not the account's current key");
    }
    String newThumbprint = Jws.thumbprint(inner.jwk());
    Optional<AcmeStore.Account> other = store.accountByThumbprint(newThumbprint);
    if (other.isPresent()) {
      throw new AcmeException(AcmeError.MALFORMED, 409, "the new key already belongs to an account", List.of(),
          Map.of("Location", base.url("acct/" + other.get().id())));
    }
    String newJwk = Jws.publicJson(inner.jwk());
    int outcome = journal.execute(tx -> {
      if (store.accountByThumbprint(tx.connection(), newThumbprint).isPresent()) {
        return 409;
      }
      if (!store.changeKey(tx.connection(), a.id(), a.thumbprint(), newThumbprint, newJwk)) {
        return 403;
      }
      tx.audit("acme:" + a.id(), "acme.account.key-changed", "acme:" + a.id(),
          json.writeValueAsString(Map.of("account", a.id(), "oldThumbprint", a.thumbprint(), "newThumbprint", newThumbprint)));
      return 200;
    });
    if (outcome == 409) {
      throw new AcmeException(AcmeError.MALFORMED, 409, "the new key already belongs to an account", List.of(), Map.of());
    }
    if (outcome == 403) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the account's key changed meanwhile");
    }
    reply(ex, 200, accountJson(base, store.account(a.id()).orElseThrow()));
  }

  // ---- orders

  private void newOrder(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Account a = v.requireAccount();
    ObjectNode p = v.jws().payloadObject(json);
    if (p.has("notBefore") || p.has("notAfter")) {
      throw new AcmeException(AcmeError.MALFORMED, "notBefore and notAfter are not supported; the profile sets the lifetime");
    }
    Profile profile = issuance.profiles().get(base.profile());
    List<Identifier> identifiers = identifiers(p.get("identifiers"), profile);
    String replaces = null;
    if (p.hasNonNull("replaces")) {
      replaces = checkReplaces(p.get("replaces").asText(), a);
    }
    Instant now = clock.instant();
    int pending = store.pendingAuthorizations(a.id(), now);
    if (pending + identifiers.size() > settings.pendingAuthorizations()) {
      throw new AcmeException(AcmeError.RATE_LIMITED, 429, "the account has " + pending + " pending authorizations; the limit is "
          + settings.pendingAuthorizations(), List.of(), Map.of("Retry-After", "60"));
    }
    Instant window = now.truncatedTo(ChronoUnit.HOURS);
    List<List<String>> types = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    for (Identifier id : identifiers) {
      List<String> t = id.isWildcard() ? List.of("dns-01")
          : id.type().equals(Identifier.IP) ? List.of("http-01", "tls-alpn-01")
          : List.of("http-01", "dns-01", "tls-alpn-01");
      types.add(t);
      for (int i = 0; i < t.size(); i++) {
        tokens.add(token());
      }
    }
    Optional<AcmeStore.Order> created = store.createOrder(a.id(), base.profile(), identifiers, now.plus(settings.orderLifetime()), replaces,
        types, tokens, window, settings.ordersPerHour());
    if (created.isEmpty()) {
      long retry = Math.max(1, window.plus(java.time.Duration.ofHours(1)).getEpochSecond() - now.getEpochSecond());
      throw new AcmeException(AcmeError.RATE_LIMITED, 429, "the account has created " + settings.ordersPerHour()
          + " orders this hour, the limit", List.of(), Map.of("Retry-After", Long.toString(retry)));
    }
    AcmeStore.Order order = created.get();
    ex.responseHeader("Location", base.url("order/" + order.id()));
    reply(ex, 201, orderJson(base, order));
  }

  private String token() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Parses and checks the identifiers against the profile and policy, reporting every bad one at once. */
  private List<Identifier> identifiers(JsonNode node, Profile profile) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new AcmeException(AcmeError.MALFORMED, "an order needs a non-empty identifiers array");
    }
    if (node.size() > profile.maxNames()) {
      throw new AcmeException(AcmeError.REJECTED_IDENTIFIER, "at most " + profile.maxNames() + " identifiers per order");
    }
    List<Identifier> out = new ArrayList<>();
    List<AcmeException.Subproblem> problems = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (JsonNode n : node) {
      String type = n.path("type").asText("");
      String value = n.path("value").asText("");
      Identifier id = new Identifier(type, value);
      if (!seen.add(type + ":" + value)) {
        problems.add(new AcmeException.Subproblem(AcmeError.MALFORMED, "identifier listed twice", id));
        continue;
      }
      switch (type) {
        case Identifier.DNS -> {
          List<String> v = policy.violations(profile, SubjectNames.of(List.of(value), List.of(), List.of()));
          if (!v.isEmpty()) {
            problems.add(new AcmeException.Subproblem(AcmeError.REJECTED_IDENTIFIER, String.join("; ", v), id));
          } else {
            out.add(id);
          }
        }
        case Identifier.IP -> {
          Optional<InetAddress> ip = ipLiteral(value);
          if (ip.isEmpty()) {
            problems.add(new AcmeException.Subproblem(AcmeError.MALFORMED, "not an IP address", id));
          } else if (!profile.nameForms().contains(NameForm.IP) || settings.permittedIps().stream().noneMatch(r -> r.contains(ip.get()))) {
            problems.add(new AcmeException.Subproblem(AcmeError.REJECTED_IDENTIFIER,
                "IP address " + value + " is not in a permitted range " + settings.permittedIps(), id));
          } else {
            // Also the name policy's ranges (ROTOR_PERMITTED_IPS, the profile's own), which finalize
            // applies again: an order that could never be finalized is refused now.
            List<String> v = policy.violations(profile, SubjectNames.of(List.of(), List.of(ip.get()), List.of()));
            if (!v.isEmpty()) {
              problems.add(new AcmeException.Subproblem(AcmeError.REJECTED_IDENTIFIER, String.join("; ", v), id));
            } else {
              out.add(new Identifier(Identifier.IP, ip.get().getHostAddress()));
            }
          }
        }
        default -> problems.add(new AcmeException.Subproblem(AcmeError.UNSUPPORTED_IDENTIFIER,
            "identifier type \"" + type + "\" is not supported; use dns or ip", id));
      }
    }
    if (!problems.isEmpty()) {
      AcmeException.Subproblem first = problems.get(0);
      String detail = problems.size() == 1 ? first.identifier().value() + ": " + first.detail()
          : problems.size() + " identifiers cannot be ordered (see subproblems)";
      throw new AcmeException(first.error(), first.error().status(), detail, problems, Map.of());
    }
    return out;
  }

  private static Optional<InetAddress> ipLiteral(String value) {
    if (value.isEmpty() || !value.matches("[0-9a-fA-F:.]+") || !(value.contains(":") || value.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByName(value));
    } catch (java.net.UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** RFC 9773 §5: the certificate exists, this account ordered it, and nothing replaces it yet. */
  private String checkReplaces(String certId, AcmeStore.Account a) {
    RenewalInfo.CertId id = RenewalInfo.parse(certId);
    CertificateRecord record = certificates.find(id.serialHex()).filter(r -> RenewalInfo.matches(id, r))
        .orElseThrow(() -> new AcmeException(AcmeError.MALFORMED, "replaces names no certificate issued here"));
    Optional<AcmeStore.Order> issuedBy = store.orderByCertificate(record.serial());
    if (issuedBy.isEmpty() || issuedBy.get().accountId() != a.id()) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "replaces names a certificate this account did not order");
    }
    if (store.isReplaced(certId)) {
      throw new AcmeException(AcmeError.ALREADY_REPLACED, "another order already replaces " + certId);
    }
    return certId;
  }

  private String effectiveStatus(AcmeStore.Order o) {
    boolean open = o.status().equals("pending") || o.status().equals("ready");
    return open && !o.expires().isAfter(clock.instant()) ? "invalid" : o.status();
  }

  private Map<String, Object> orderJson(Base base, AcmeStore.Order o) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    String status = effectiveStatus(o);
    m.put("status", status);
    m.put("expires", o.expires().truncatedTo(ChronoUnit.SECONDS).toString());
    m.put("identifiers", o.identifiers().stream().map(Identifier::toJson).toList());
    m.put("authorizations", o.authorizationIds().stream().map(id -> base.url("authz/" + id)).toList());
    m.put("finalize", base.url("order/" + o.id() + "/finalize"));
    if (o.certificateSerial() != null && status.equals("valid")) {
      m.put("certificate", base.url("cert/" + o.certificateSerial()));
    }
    if (o.replaces() != null) {
      m.put("replaces", o.replaces());
    }
    if (o.error() != null) {
      m.put("error", json.readTree(o.error()));
    } else if (status.equals("invalid") && !o.status().equals("invalid")) {
      m.put("error", Map.of("type", AcmeError.MALFORMED.type(), "detail", "the order expired"));
    }
    return m;
  }

  private AcmeStore.Order ownOrder(Exchange ex, Verified v) {
    AcmeStore.Account a = v.requireAccount();
    AcmeStore.Order o = store.order(parseId(ex.path("id"))).orElseThrow(() -> AcmeException.notFound("order " + ex.path("id")));
    if (o.accountId() != a.id()) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the order belongs to another account");
    }
    return o;
  }

  private void order(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Order o = ownOrder(ex, v);
    requirePostAsGet(v);
    if (o.status().equals("processing")) {
      ex.responseHeader("Retry-After", "1");
    }
    reply(ex, 200, orderJson(base, o));
  }

  private void finalizeOrder(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Order o = ownOrder(ex, v);
    ObjectNode p = v.jws().payloadObject(json);
    String status = effectiveStatus(o);
    if (!status.equals("ready")) {
      throw new AcmeException(AcmeError.ORDER_NOT_READY, "the order is " + status + ", not ready");
    }
    byte[] der;
    try {
      der = Base64.getUrlDecoder().decode(p.path("csr").asText(""));
    } catch (IllegalArgumentException e) {
      throw new AcmeException(AcmeError.BAD_CSR, "csr is not base64url DER");
    }
    CheckedCsr csr;
    try {
      csr = csrChecker.check(der);
    } catch (PkiException e) {
      throw new AcmeException(e.problem() == PkiException.Problem.WEAK_KEY || e.problem() == PkiException.Problem.UNSUPPORTED_KEY
          ? AcmeError.BAD_PUBLIC_KEY : AcmeError.BAD_CSR, e.getMessage());
    }
    checkCsrNames(csr, o.identifiers());
    if (Arrays.equals(csr.publicKey().getEncoded(), Jws.publicKey(v.key()).getEncoded())) {
      throw new AcmeException(AcmeError.BAD_CSR, "the CSR's key is the account key; use a separate key for the certificate");
    }
    if (!store.startProcessing(o.id(), der)) {
      throw new AcmeException(AcmeError.ORDER_NOT_READY, "the order is no longer ready");
    }
    Optional<String> serial = issueFor(o.id(), o.accountId(), o.profile(), o.identifiers(), der);
    reply(ex, 200, orderJson(base, serial.isPresent() ? o.completed(serial.get()) : store.order(o.id()).orElseThrow()));
  }

  /** RFC 8555 §7.4: the CSR must name exactly the order's identifiers (a CN must be one of them). */
  private static void checkCsrNames(CheckedCsr csr, List<Identifier> identifiers) {
    Set<String> wanted = new HashSet<>();
    for (Identifier id : identifiers) {
      wanted.add(id.type() + ":" + id.value());
    }
    Set<String> got = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (String d : csr.names().dns()) {
      got.add("dns:" + d);
    }
    for (InetAddress ip : csr.names().ips()) {
      got.add("ip:" + ip.getHostAddress());
    }
    if (!csr.names().uris().isEmpty() || !csr.names().emails().isEmpty()) {
      problems.add("the CSR has URI or email names");
    }
    for (String g : got) {
      if (!wanted.contains(g)) {
        problems.add("the CSR names " + g.substring(g.indexOf(':') + 1) + ", which the order does not");
      }
    }
    for (String w : wanted) {
      if (!got.contains(w)) {
        problems.add("the CSR does not name " + w.substring(w.indexOf(':') + 1));
      }
    }
    if (got.size() != csr.names().dns().size() + csr.names().ips().size()) {
      problems.add("the CSR names something twice");
    }
    String cn = commonName(csr);
    if (cn != null && !wanted.contains("dns:" + cn) && !wanted.contains("ip:" + cn)) {
      problems.add("the CSR's common name " + cn + " is not one of the order's identifiers");
    }
    if (!problems.isEmpty()) {
      throw new AcmeException(AcmeError.BAD_CSR, String.join("; ", problems));
    }
  }

  private static String commonName(CheckedCsr csr) {
    var rdns = csr.subject().getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN);
    if (rdns.length == 0) {
      return null;
    }
    return org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(rdns[0].getFirst().getValue());
  }

  /**
   * Issues for a processing order and marks it valid (audited); an order the core refuses becomes
   * invalid. Returns the certificate's serial when this call marked the order valid.
   */
  private Optional<String> issueFor(long orderId, long accountId, String profile, List<Identifier> identifiers, byte[] der) {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    for (Identifier id : identifiers) {
      if (id.type().equals(Identifier.DNS)) {
        dns.add(id.value());
      } else {
        ips.add(ipLiteral(id.value()).orElseThrow());
      }
    }
    // The order becomes valid, audited, in the certificate's own transaction: both or neither (a
    // crash between two transactions would leave a recorded certificate and an order still
    // processing, which resumeFinalize would issue for again).
    java.util.concurrent.atomic.AtomicBoolean completed = new java.util.concurrent.atomic.AtomicBoolean();
    IssuanceRequest.DoorRecord orderValid = (tx, serialHex) -> {
      if (store.completeOrder(tx.connection(), orderId, serialHex)) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("order", orderId);
        d.put("serial", serialHex);
        d.put("identifiers", identifiers.stream().map(Identifier::value).toList());
        tx.audit("acme:" + accountId, "acme.order.finalized", "order:" + orderId, json.writeValueAsString(d));
        completed.set(true);
      }
    };
    IssuedCertificate cert;
    try {
      cert = issuance.issue(new IssuanceRequest(Pem.encode("CERTIFICATE REQUEST", der), Optional.of(SubjectNames.of(dns, ips, List.of())),
          profile, null, "acme:" + accountId, Channel.ACME, Optional.empty(), Map.of(), orderValid));
    } catch (RotorException e) {
      AcmeException a = AcmeProblems.fromCore(e);
      if (!e.code().isTransient()) {
        store.failOrder(orderId, AcmeProblems.toJson(json, a, null));
      } // transient: the order stays processing and the validation worker finishes it later
      throw a;
    }
    return completed.get() ? Optional.of(cert.serialHex()) : Optional.empty();
  }

  /** Finishes an order a stopped replica left in processing (its CSR is stored). */
  void resumeFinalize(long orderId) {
    AcmeStore.Order o = store.order(orderId).orElseThrow();
    if (o.status().equals("processing") && o.csr() != null) {
      issueFor(o.id(), o.accountId(), o.profile(), o.identifiers(), o.csr());
      log.info("acme order finished after interruption order={}", orderId);
    }
  }

  // ---- authorizations and challenges

  private static void requireOwn(AcmeStore.Authorization az, Verified v) {
    if (az.accountId() != v.requireAccount().id()) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the authorization belongs to another account");
    }
  }

  private Map<String, Object> authorizationJson(Base base, AcmeStore.Authorization az, List<AcmeStore.Challenge> list) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("identifier", az.identifier().toJson());
    String status = az.status().equals("pending") && !az.expires().isAfter(clock.instant()) ? "expired" : az.status();
    m.put("status", status);
    m.put("expires", az.expires().truncatedTo(ChronoUnit.SECONDS).toString());
    List<Map<String, Object>> challenges = new ArrayList<>();
    for (AcmeStore.Challenge c : list) {
      challenges.add(challengeJson(base, c));
    }
    m.put("challenges", challenges);
    if (az.wildcard()) {
      m.put("wildcard", true);
    }
    return m;
  }

  private Map<String, Object> challengeJson(Base base, AcmeStore.Challenge c) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", c.type());
    m.put("url", base.url("chall/" + c.id()));
    m.put("status", c.status());
    m.put("token", c.token());
    if (c.validatedAt() != null) {
      m.put("validated", c.validatedAt().truncatedTo(ChronoUnit.SECONDS).toString());
    }
    if (c.error() != null) {
      m.put("error", json.readTree(c.error()));
    }
    return m;
  }

  private void authorization(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    long id = parseId(ex.path("id"));
    AcmeStore.AuthorizationWith read = store.authorizationWith(id).orElseThrow(() -> AcmeException.notFound("authorization " + id));
    AcmeStore.Authorization az = read.authorization();
    requireOwn(az, v);
    if (!v.jws().isPostAsGet()) {
      ObjectNode p = v.jws().payloadObject(json);
      if (!"deactivated".equals(p.path("status").asText())) {
        throw new AcmeException(AcmeError.MALFORMED, "an authorization can only be deactivated");
      }
      if (!store.deactivateAuthorization(az.id())) {
        throw new AcmeException(AcmeError.MALFORMED, "the authorization is " + az.status() + " and cannot be deactivated");
      }
      read = store.authorizationWith(az.id()).orElseThrow();
    }
    reply(ex, 200, authorizationJson(base, read.authorization(), read.challenges()));
  }

  private void challenge(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.ChallengeOf read = store.challengeOf(parseId(ex.path("id")))
        .orElseThrow(() -> AcmeException.notFound("challenge " + ex.path("id")));
    AcmeStore.Challenge c = read.challenge();
    AcmeStore.Authorization az = read.authorization();
    requireOwn(az, v);
    if (!v.jws().isPostAsGet()) {
      v.jws().payloadObject(json); // RFC 8555 §7.5.1: an empty object asks for validation
      if (c.status().equals("pending")) {
        Instant now = clock.instant();
        Optional<AcmeStore.Claimed> claimed = store.startValidation(c.id(), now, worker.leaseFrom(now));
        if (claimed.isPresent()) {
          worker.submit(claimed.get());
          c = c.claimed(); // what the claim wrote; the validation may already be changing it
        } else if (!az.status().equals("pending") || !az.expires().isAfter(clock.instant())) {
          throw new AcmeException(AcmeError.MALFORMED, "the authorization is no longer pending");
        } else {
          c = store.challenge(c.id()).orElseThrow();
        }
      }
    }
    ex.responseHeader("Link", "<" + base.url("directory") + ">;rel=\"index\", <" + base.url("authz/" + az.id()) + ">;rel=\"up\"");
    reply(ex, 200, challengeJson(base, c));
  }

  // ---- certificates, revocation, renewal information

  private void certificate(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.KID);
    AcmeStore.Account a = v.requireAccount();
    requirePostAsGet(v);
    String serial = ex.path("serial");
    AcmeStore.Order o = store.orderByCertificate(serial).orElseThrow(() -> AcmeException.notFound("certificate " + serial));
    if (o.accountId() != a.id()) {
      throw new AcmeException(AcmeError.UNAUTHORIZED, "the certificate belongs to another account");
    }
    CertificateRecord r = certificates.find(serial).orElseThrow(() -> AcmeException.notFound("certificate " + serial));
    ex.send(200, "application/pem-certificate-chain", (Pem.certificate(r.der()) + ca.current().chainAbovePem(r.issuerId())).getBytes(StandardCharsets.US_ASCII));
  }

  private void revokeCert(Exchange ex, Base base) throws Exception {
    Verified v = verify(ex, base, KeyForm.EITHER);
    ObjectNode p = v.jws().payloadObject(json);
    byte[] der;
    X509Certificate cert;
    try {
      der = Base64.getUrlDecoder().decode(p.path("certificate").asText(""));
      cert = Pem.parseCertificate(der);
    } catch (IllegalArgumentException | PkiException e) {
      throw new AcmeException(AcmeError.MALFORMED, "certificate is not a base64url DER certificate");
    }
    String serial = Serials.toHex(cert.getSerialNumber());
    CertificateRecord record = certificates.find(serial).filter(r -> Arrays.equals(r.der(), der))
        .orElseThrow(() -> AcmeException.notFound("a certificate issued here with serial " + serial));
    String actor;
    if (v.jws().jwk() != null) {
      // RFC 8555 §7.6: signed with the certificate's own key
      if (!Arrays.equals(Jws.publicKey(v.key()).getEncoded(), cert.getPublicKey().getEncoded())) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "the JWS key is not the certificate's key");
      }
      actor = "acme:certificate-key";
    } else {
      AcmeStore.Account a = v.requireAccount();
      Optional<AcmeStore.Order> o = store.orderByCertificate(serial);
      if (o.isEmpty() || o.get().accountId() != a.id()) {
        throw new AcmeException(AcmeError.UNAUTHORIZED, "this account did not order the certificate");
      }
      actor = "acme:" + a.id();
    }
    String reasonName = "unspecified";
    if (p.has("reason")) {
      int code = p.get("reason").asInt(-1);
      Optional<RevocationReason> reason = p.get("reason").isInt() ? RevocationReason.fromCode(code) : Optional.empty();
      if (reason.isEmpty() || reason.get() == RevocationReason.removeFromCRL) {
        throw new AcmeException(AcmeError.BAD_REVOCATION_REASON, "reason " + p.get("reason") + " is not an RFC 5280 reason code");
      }
      reasonName = reason.get().name();
    }
    if (record.revokedAt() != null
        && (!reasonName.equals(RevocationReason.keyCompromise.name())
            || RevocationReason.keyCompromise.name().equals(record.revocationReason()))) {
      // Only a change to keyCompromise may revoke again (RevocationService).
      throw new AcmeException(AcmeError.ALREADY_REVOKED, "the certificate was revoked at " + record.revokedAt());
    }
    revocation.revoke(serial, reasonName, actor);
    ex.send(200, "application/json", new byte[0]);
  }

  private void renewalInfo(Exchange ex, Base base) throws Exception {
    RenewalInfo.CertId id = RenewalInfo.parse(ex.path("certId"));
    CertificateRecord record = certificates.find(id.serialHex()).filter(r -> RenewalInfo.matches(id, r))
        .orElseThrow(() -> AcmeException.notFound("certificate " + ex.path("certId")));
    RenewalInfo.Window w = RenewalInfo.window(record, !ca.current().isRenewNow(record.issuerId()), clock.instant());
    ex.responseHeader("Retry-After", "3600");
    reply(ex, 200, Map.of("suggestedWindow", Map.of("start", w.start().toString(), "end", w.end().toString())));
  }

  // ---- External Account Binding keys (REST, operators)

  /** {@code POST /api/v1/acme/eab} {@code {"label": "..."}} → {@code {keyId, hmacKey}}; the key is shown once. */
  private void createEabKey(Exchange ex) throws Exception {
    Principal who = auth.require(ex.header(HttpHeader.AUTHORIZATION), Role.OPERATOR);
    byte[] body = ex.body();
    String label = "";
    if (body.length > 0) {
      JsonNode n;
      try {
        n = json.readTree(body);
      } catch (Exception e) {
        throw new RotorException(ErrorCode.MALFORMED_REQUEST, "malformed JSON");
      }
      if (n == null || !n.isObject()) {
        throw new RotorException(ErrorCode.MALFORMED_REQUEST, "expected a JSON object");
      }
      label = n.path("label").asText("");
      if (label.length() > 200) {
        throw new RotorException(ErrorCode.MALFORMED_REQUEST, "label is longer than 200 characters");
      }
    }
    byte[] key = new byte[32];
    random.nextBytes(key);
    byte[] idBytes = new byte[12];
    random.nextBytes(idBytes);
    String keyId = "eab_" + Base64.getUrlEncoder().withoutPadding().encodeToString(idBytes);
    String l = label;
    journal.execute(tx -> {
      store.insertEabKey(tx.connection(), keyId, key, l, who.name());
      tx.audit(who.name(), "acme.eab.created", keyId, json.writeValueAsString(Map.of("keyId", keyId, "label", l)));
      return null;
    });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("keyId", keyId);
    out.put("hmacKey", Base64.getUrlEncoder().withoutPadding().encodeToString(key));
    out.put("label", label);
    ex.json(201, out);
  }

  @Override
  public void close() throws Exception {
    worker.close();
    http01.close();
  }
}
