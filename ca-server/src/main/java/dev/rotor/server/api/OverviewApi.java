package dev.rotor.server.api;

import dev.rotor.pki.Profile;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.agent.AgentTargets;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.ActiveCa;
import dev.rotor.server.ca.CertificateAuthority;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.issuance.IssuanceStats;
import dev.rotor.server.store.PgOverviewStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read endpoints for the admin UI (and anyone with a viewer token): summary counts, the issuance
 * series, agents, and the CA hierarchy.
 */
public final class OverviewApi {

  /** "Expiring soon" in the summary: within this of now. */
  static final Duration EXPIRING_WINDOW = Duration.ofMinutes(5);
  /** Agents whose last agent certificate is older than this are no longer listed. */
  static final Duration AGENT_HORIZON = Duration.ofHours(24);
  /** The summary is recomputed at most this often, however many browsers poll it. */
  static final Duration SUMMARY_CACHE = Duration.ofSeconds(2);
  static final int MAX_AGENTS = 5_000;

  private record CachedSummary(Map<String, Object> body, Instant until) {}

  private final TokenAuthenticator auth;
  private final PgOverviewStore store;
  private final IssuanceStats stats;
  private final AgentTargets targets;
  private final IssuanceService issuance;
  private final ActiveCa ca;
  private final String publicHttpUrl;
  private final Clock clock;
  private volatile CachedSummary summary;

  public OverviewApi(TokenAuthenticator auth, PgOverviewStore store, IssuanceStats stats, AgentTargets targets, IssuanceService issuance,
      ActiveCa ca, String publicHttpUrl, Clock clock) {
    this.auth = auth;
    this.store = store;
    this.stats = stats;
    this.targets = targets;
    this.issuance = issuance;
    this.ca = ca;
    this.publicHttpUrl = publicHttpUrl;
    this.clock = clock;
  }

  public void register(Router router) {
    router.route("GET", "/api/v1/summary", this::summary)
        .route("GET", "/api/v1/stats/issuance", this::series)
        .route("GET", "/api/v1/agents", this::agents)
        .route("GET", "/api/v1/agents/{node}", this::agent)
        .route("GET", "/api/v1/ca", this::ca);
  }

  /** How long an agent may go without renewing its own certificate before it counts as silent. */
  private Duration agentWindow() {
    Profile p = issuance.profiles().get("agent");
    return p == null ? Duration.ofMinutes(15) : p.maxTtl();
  }

  private void summary(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    CachedSummary cached = summary;
    Instant now = clock.instant();
    if (cached == null || !now.isBefore(cached.until())) {
      cached = new CachedSummary(computeSummary(now), now.plus(SUMMARY_CACHE));
      summary = cached;
    }
    ex.json(200, cached.body());
  }

  private Map<String, Object> computeSummary(Instant now) {
    PgOverviewStore.Counts counts = store.counts(now, now.plus(EXPIRING_WINDOW));
    List<PgOverviewStore.AgentRow> agents = store.agents(now.minus(AGENT_HORIZON), Integer.MAX_VALUE);
    Duration window = agentWindow();
    long seen = agents.stream().filter(a -> !a.revoked() && a.lastRenewal().isAfter(now.minus(window))).count();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("at", now.toString());
    Map<String, Object> certs = new LinkedHashMap<>();
    certs.put("active", counts.active());
    certs.put("expiringSoon", counts.expiringSoon());
    certs.put("expiringWindowSeconds", EXPIRING_WINDOW.toSeconds());
    certs.put("revoked", counts.revoked());
    out.put("certificates", certs);
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("known", agents.size());
    a.put("seen", seen);
    a.put("silent", agents.size() - seen);
    a.put("windowSeconds", window.toSeconds());
    out.put("agents", a);
    out.put("recentFailures", stats.recentFailures().stream().limit(20).map(f -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("at", f.at().toString());
      m.put("door", f.channel());
      m.put("profile", f.profile());
      m.put("requester", f.requester());
      m.put("code", f.code());
      m.put("detail", f.detail());
      return m;
    }).toList());
    return out;
  }

  private void series(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    int minutes = ex.query("minutes").map(s -> {
      try {
        return Integer.parseInt(s);
      } catch (NumberFormatException e) {
        return -1;
      }
    }).orElse(60);
    if (minutes < 1 || minutes > 1440) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "minutes must be a number from 1 to 1440");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bucketSeconds", 60);
    out.put("points", stats.perMinute(minutes).stream()
        .map(m -> Map.of("minute", m.minute().toString(), "issued", m.issued())).toList());
    ex.json(200, out);
  }

  private void agents(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    Instant now = clock.instant();
    Duration window = agentWindow();
    List<Map<String, Object>> items = new ArrayList<>();
    for (PgOverviewStore.AgentRow r : store.agents(now.minus(AGENT_HORIZON), MAX_AGENTS)) {
      items.add(describe(r, now, window));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("windowSeconds", window.toSeconds());
    out.put("items", items);
    ex.json(200, out);
  }

  private void agent(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    String node = ex.path("node");
    Instant now = clock.instant();
    Optional<PgOverviewStore.AgentRow> row = store.agents(now.minus(AGENT_HORIZON), Integer.MAX_VALUE).stream()
        .filter(r -> node.equals(nodeOf(r.identity()))).findFirst();
    if (row.isEmpty()) {
      throw new RotorException(ErrorCode.NOT_FOUND, "no agent on node " + node + " renewed in the last " + AGENT_HORIZON.toHours() + " h");
    }
    Map<String, Object> out = describe(row.get(), now, agentWindow());
    out.put("identities", store.identitiesServedBy("agent:" + node, now, 1000));
    out.put("targets", targets.of(node).stream().map(t -> Map.of("target", t.target(), "identity", t.identity(),
        "lastSeen", t.lastSeen().toString())).toList());
    ex.json(200, out);
  }

  private static Map<String, Object> describe(PgOverviewStore.AgentRow r, Instant now, Duration window) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node", nodeOf(r.identity()));
    m.put("identity", r.identity());
    m.put("lastRenewal", r.lastRenewal().toString());
    m.put("notAfter", r.notAfter().toString());
    m.put("serial", r.serial());
    m.put("state", r.revoked() ? "revoked" : r.lastRenewal().isAfter(now.minus(window)) ? "seen" : "silent");
    return m;
  }

  private static String nodeOf(String identity) {
    int i = identity.lastIndexOf('/');
    return i < 0 ? identity : identity.substring(i + 1);
  }

  private void ca(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    List<Map<String, Object>> hierarchy = new ArrayList<>();
    CertificateAuthority ca = this.ca.current();
    for (X509Certificate c : ca.chainAbove()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", hierarchy.isEmpty() ? "issuing" : "intermediate");
      m.putAll(CertificateFields.of(c));
      hierarchy.add(m);
    }
    for (X509Certificate c : ca.bundle()) {
      if (c.equals(ca.issuingCertificate())) {
        continue;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      // Besides the roots, the bundle lists the other intermediates in service (prepared, retired, tainted).
      m.put("role", c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) ? "root" : "intermediate");
      m.putAll(CertificateFields.of(c));
      hierarchy.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("certificates", hierarchy);
    out.put("bundleUrl", "/ca/bundle.pem");
    out.put("crlUrl", publicHttpUrl + "/crl");
    out.put("ocspUrl", publicHttpUrl + "/ocsp");
    ex.json(200, out);
  }
}
