package dev.rotor.server.agent;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.SpiffeId;
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
import dev.rotor.server.revocation.RevocationFeed;
import dev.rotor.server.store.Journal;
import dev.rotor.server.store.PgJoinTokenStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent API ({@code /agent/v1}, HTTPS port): attestation by Kubernetes ServiceAccount token
 * or join token, renewal of the agent's own certificate and signing of its workloads'
 * certificates over mTLS, and the trust bundle; plus {@code POST /api/v1/join-tokens}. Every
 * certificate goes through {@link IssuanceService}; see docs/agent-api.md.
 */
public final class AgentApi {

  private static final Logger log = LoggerFactory.getLogger(AgentApi.class);

  public static final Duration JOIN_TOKEN_DEFAULT_TTL = Duration.ofMinutes(10);
  public static final Duration JOIN_TOKEN_MAX_TTL = Duration.ofDays(1);
  private static final int MAX_DNS_NAMES = 100;

  /** {@code POST /agent/v1/attest}. */
  public record AttestBody(String method, String token, String csr) {}

  /** {@code POST /agent/v1/renew}. */
  public record RenewBody(String csr) {}

  /** {@code POST /agent/v1/workloads/sign}. */
  public record SignBody(String csr, String spiffeId, List<String> dnsNames, Integer ttlSeconds, String target) {}

  /** {@code POST /api/v1/join-tokens}. */
  public record JoinTokenBody(String node, Integer ttlSeconds) {}

  private final IssuanceService issuance;
  private final ActiveCa ca;
  private final Journal journal;
  private final PgJoinTokenStore joinTokens;
  private final TokenAuthenticator tokens;
  private final AgentAuthenticator agents;
  private final Optional<KubernetesAttestor> kubernetes;
  private final WorkloadPolicy policy;
  private final RevocationFeed revocationFeed;
  private final String trustDomain;
  private final Clock clock;
  private final Metrics metrics;
  private final ObjectMapper json;

  private final AgentTargets targets;

  public AgentApi(IssuanceService issuance, ActiveCa ca, Journal journal, PgJoinTokenStore joinTokens,
      TokenAuthenticator tokens, AgentAuthenticator agents, Optional<KubernetesAttestor> kubernetes, WorkloadPolicy policy,
      RevocationFeed revocationFeed, AgentTargets targets, String trustDomain, Clock clock, Metrics metrics, ObjectMapper json) {
    this.targets = targets;
    this.issuance = issuance;
    this.ca = ca;
    this.journal = journal;
    this.joinTokens = joinTokens;
    this.tokens = tokens;
    this.agents = agents;
    this.kubernetes = kubernetes;
    this.policy = policy;
    this.revocationFeed = revocationFeed;
    this.trustDomain = trustDomain;
    this.clock = clock;
    this.metrics = metrics;
    this.json = json;
  }

  public void register(Router router) {
    router.route("POST", "/agent/v1/attest", counted("attest", this::attest))
        .route("POST", "/agent/v1/renew", counted("renew", this::renew))
        .route("POST", "/agent/v1/workloads/sign", counted("workloads/sign", this::sign))
        .route("GET", "/agent/v1/bundle", this::bundle)
        .route("GET", "/agent/v1/revocations", this::revocations)
        .route("POST", "/api/v1/join-tokens", this::createJoinToken);
  }

  private Router.Endpoint counted(String endpoint, Router.Endpoint handler) {
    return ex -> {
      try {
        handler.handle(ex);
        metrics.agentRequest(endpoint, "issued");
      } catch (RotorException e) {
        metrics.agentRequest(endpoint, e.code().slug());
        throw e;
      } catch (Exception | Error e) {
        metrics.agentRequest(endpoint, ErrorCode.INTERNAL.slug());
        throw e;
      }
    };
  }

  private void attest(Exchange ex) throws Exception {
    AttestBody body = ex.readJson(AttestBody.class);
    String csr = required(body.csr(), "csr");
    String method = required(body.method(), "method");
    if (!method.equals("k8s") && !method.equals("join")) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "method must be k8s or join");
    }
    // Check the CSR before spending the token on a request that cannot succeed.
    issuance.checkCsr(csr, "agent");
    if (method.equals("k8s")) {
      KubernetesAttestor attestor = kubernetes.orElseThrow(() -> new RotorException(ErrorCode.UNAVAILABLE,
          "this server has no Kubernetes API access (ROTOR_KUBERNETES); attest with a join token"));
      KubernetesAttestor.Attested a;
      try {
        a = attestor.attest(body.token());
      } catch (RotorException e) {
        log.info("agent attestation refused method=k8s reason=\"{}\"", e.getMessage());
        throw e;
      }
      SpiffeId id = AgentIds.agent(trustDomain, a.node());
      journal.execute(tx -> {
        tx.audit("k8s:" + a.username(), "agent.attested", id.toString(), details("method", "k8s", "node", a.node()));
        return null;
      });
      respond(ex, issueAgent(csr, id, "agent:" + a.node()), id);
      return;
    }
    String token = body.token();
    if (token == null || token.isBlank() || token.length() > 256) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "a join token is required");
    }
    byte[] hash = TokenAuthenticator.hash(token);
    Instant now = clock.instant();
    Optional<String> node = journal.execute(tx -> {
      Optional<String> n = joinTokens.consume(tx, hash, now);
      if (n.isPresent()) {
        tx.audit("join-token", "agent.attested", AgentIds.agent(trustDomain, n.get()).toString(), details("method", "join", "node", n.get()));
      }
      return n;
    });
    if (node.isEmpty()) {
      log.info("agent attestation refused method=join reason=\"unknown, used or expired join token\"");
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the join token is unknown, already used or expired");
    }
    SpiffeId id = AgentIds.agent(trustDomain, node.get());
    IssuedCertificate issued;
    try {
      issued = issueAgent(csr, id, "agent:" + node.get());
    } catch (RotorException e) {
      if (e.code().isTransient()) {
        // Not the agent's fault (database or CA trouble): let it try again with the same token.
        journal.execute(tx -> {
          joinTokens.release(tx, hash);
          return null;
        });
      }
      throw e;
    }
    respond(ex, issued, id);
  }

  private void renew(Exchange ex) throws Exception {
    AgentAuthenticator.Agent agent = agents.authenticate(ex.request());
    RenewBody body = ex.readJson(RenewBody.class);
    respond(ex, issueAgent(required(body.csr(), "csr"), agent.id(), agent.principal()), agent.id());
  }

  private void sign(Exchange ex) throws Exception {
    AgentAuthenticator.Agent agent = agents.authenticate(ex.request());
    SignBody body = ex.readJson(SignBody.class);
    String csr = required(body.csr(), "csr");
    SpiffeId id;
    try {
      id = SpiffeId.parse(required(body.spiffeId(), "spiffeId"));
    } catch (PkiException e) {
      throw new RotorException(ErrorCode.REJECTED_IDENTIFIER, e.getMessage());
    }
    if (body.target() != null && !AgentTargets.valid(body.target())) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "target must be secret:<namespace>/<name> or file:<absolute path>");
    }
    List<String> dns = body.dnsNames() == null ? List.of() : body.dnsNames();
    if (dns.size() > MAX_DNS_NAMES || dns.stream().anyMatch(d -> d == null || d.isBlank() || d.length() > 253)) {
      throw new RotorException(ErrorCode.REJECTED_IDENTIFIER, "dnsNames: at most " + MAX_DNS_NAMES + " non-empty names of up to 253 characters");
    }
    WorkloadPolicy.Decision decision = decide(agent.node(), id, dns);
    if (!decision.allowed()) {
      journal.execute(tx -> {
        tx.audit(agent.principal(), "agent.denied", id.toString(), details("node", agent.node(), "reason", decision.reason()));
        return null;
      });
      log.info("workload certificate denied node={} identity={} reason=\"{}\"", agent.node(), id, decision.reason());
      throw new RotorException(ErrorCode.FORBIDDEN, decision.reason());
    }
    SubjectNames names = SubjectNames.of(dns, List.of(), List.of(id.toUri()));
    IssuedCertificate issued = issuance.issue(new IssuanceRequest(csr, Optional.of(names), "workload", body.ttlSeconds(),
        agent.principal(), Channel.AGENT));
    if (body.target() != null) {
      targets.seen(agent.node(), body.target(), id.toString());
    }
    respond(ex, issued, id);
  }

  private WorkloadPolicy.Decision decide(String node, SpiffeId id, List<String> dns) {
    Optional<AgentIds.Workload> w = AgentIds.workload(id, trustDomain);
    if (w.isEmpty()) {
      return new WorkloadPolicy.Decision(false, id + " is not a workload identity spiffe://" + trustDomain + "/ns/<namespace>/sa/<serviceaccount>");
    }
    for (String d : dns) {
      if (!AgentIds.dnsBelongsTo(d, w.get().namespace())) {
        return new WorkloadPolicy.Decision(false, "DNS name " + d + " is not a service name of namespace " + w.get().namespace()
            + " (<service>." + w.get().namespace() + ".svc[.<cluster domain>])");
      }
    }
    return policy.decide(node, id);
  }

  /**
   * The revocation feed: the whole set of revoked, unexpired certificates and its version; with
   * {@code since} = the version the agent has, the answer waits (up to {@code wait} seconds,
   * default 25, at most 55) until the set changes.
   */
  private void revocations(Exchange ex) throws Exception {
    agents.authenticate(ex.request());
    Optional<String> since = ex.query("since");
    if (since.isPresent() && !since.get().matches("[0-9a-f]{1,64}")) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "since must be a version this server returned");
    }
    int waitSeconds = 25;
    Optional<String> w = ex.query("wait");
    if (w.isPresent()) {
      try {
        waitSeconds = Integer.parseInt(w.get());
      } catch (NumberFormatException e) {
        waitSeconds = -1;
      }
      if (waitSeconds < 0 || waitSeconds > 55) {
        throw new RotorException(ErrorCode.MALFORMED_REQUEST, "wait must be 0 to 55 seconds");
      }
    }
    revocationFeed.follow(since.orElse(null), Duration.ofSeconds(waitSeconds), snapshot -> {
      ex.send(200, "application/json", snapshot.json());
      metrics.agentRequest("revocations", "ok");
    });
  }

  private void bundle(Exchange ex) throws Exception {
    ex.json(200, Map.of("bundle", ca.current().bundlePem()));
  }

  private void createJoinToken(Exchange ex) throws Exception {
    Principal p = tokens.require(ex, Role.OPERATOR);
    JoinTokenBody body = ex.readJson(JoinTokenBody.class);
    String node = required(body.node(), "node");
    if (!AgentIds.isValidNode(node)) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "node must be a node name: lower-case letters, digits, '-' and '.', at most 253 characters");
    }
    Duration ttl = body.ttlSeconds() == null ? JOIN_TOKEN_DEFAULT_TTL : Duration.ofSeconds(body.ttlSeconds());
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(JOIN_TOKEN_MAX_TTL) > 0) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "ttlSeconds must be from 1 to " + JOIN_TOKEN_MAX_TTL.toSeconds());
    }
    String token = TokenAuthenticator.newToken().replaceFirst("^rotor_", "rotor_join_");
    Instant expiresAt = clock.instant().plus(ttl);
    journal.execute(tx -> {
      joinTokens.create(tx, TokenAuthenticator.hash(token), node, expiresAt, p.name());
      tx.audit(p.name(), "join-token.created", node, details("node", node, "expiresAt", expiresAt.toString()));
      return null;
    });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("node", node);
    out.put("token", token);
    out.put("expiresAt", expiresAt.toString());
    ex.json(201, out);
  }

  private IssuedCertificate issueAgent(String csr, SpiffeId id, String requester) {
    SubjectNames names = SubjectNames.of(List.of(), List.of(), List.of(id.toUri()));
    return issuance.issue(new IssuanceRequest(csr, Optional.of(names), "agent", null, requester, Channel.AGENT));
  }

  /**
   * The JSON string forms (quoted and escaped) of one CA snapshot's PEM texts. Every answer carries
   * the bundle and the chain above the leaf; escaping their line breaks once per snapshot instead
   * of once per renewal saves the fleet's hottest path a few kilobytes of escaping per answer.
   */
  private record QuotedPems(dev.rotor.server.ca.CertificateAuthority ca, String chainAbove, String bundle) {}

  private volatile QuotedPems quoted;

  private QuotedPems quoted(dev.rotor.server.ca.CertificateAuthority current) {
    QuotedPems q = quoted;
    if (q == null || q.ca() != current) {
      q = new QuotedPems(current, escaped(current.chainAbovePem()), escaped(current.bundlePem()));
      quoted = q;
    }
    return q;
  }

  private static String escaped(String s) {
    return new String(JsonStringEncoder.getInstance().quoteAsString(s));
  }

  private void respond(Exchange ex, IssuedCertificate c, SpiffeId id) throws Exception {
    QuotedPems q = quoted(ca.current());
    String leaf = escaped(c.certificatePem());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("spiffeId", id.toString());
    out.put("serial", c.serialHex());
    out.put("certificate", new RawValue('"' + leaf + '"'));
    // chainPem is the leaf and the chain above it as it was when the certificate was signed; the
    // pre-quoted chain is used only when it is the same text (not across a CA rotation).
    String chain = c.chainPem();
    String above = q.ca().chainAbovePem();
    boolean sameChain = chain.length() == c.certificatePem().length() + above.length() && chain.endsWith(above);
    out.put("chain", sameChain ? new RawValue('"' + leaf + q.chainAbove() + '"') : chain);
    out.put("bundle", new RawValue('"' + q.bundle() + '"'));
    out.put("notBefore", c.notBefore().toString());
    out.put("notAfter", c.notAfter().toString());
    ex.json(201, out);
  }

  private static String required(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, field + " is required");
    }
    return value;
  }

  private String details(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    try {
      return json.writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
