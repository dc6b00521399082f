package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.TestServer.Reply;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent API against a real server and fabric8's Kubernetes mock server (CRUD mode for pods,
 * an expectation answering TokenReview like the API server would): attestation by join token
 * and by ServiceAccount token, renewal and workload signing over mTLS, and what is refused.
 */
class AgentApiIT {

  private static final String TD = "rotor.local";
  private static KubernetesMockServer kube;
  private static KubernetesClient client;
  private static TestServer server;
  private static String operator;
  private static String viewer;

  /** Tokens the fake TokenReview knows: token → review status (as the API server would answer). */
  private static final Map<String, Map<String, Object>> REVIEWS = new HashMap<>();

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    kube = new KubernetesMockServer(new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
    kube.init();
    kube.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(201, req -> {
      TokenReview in = Serialization.unmarshal(req.getBody().readUtf8(), TokenReview.class);
      Map<String, Object> status = REVIEWS.getOrDefault(in.getSpec().getToken(), Map.of("authenticated", false, "error", "invalid bearer token"));
      // The API server intersects the requested audiences with the token's.
      Map<String, Object> s = new LinkedHashMap<>(status);
      if (s.get("audiences") instanceof List<?> tokenAud) {
        s.put("audiences", tokenAud.stream().filter(in.getSpec().getAudiences()::contains).toList());
        if (((List<?>) s.get("audiences")).isEmpty()) {
          s = Map.of("authenticated", false, "error", "token audiences " + tokenAud + " is invalid for the target audiences");
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("apiVersion", "authentication.k8s.io/v1");
      out.put("kind", "TokenReview");
      out.put("spec", Map.of("token", in.getSpec().getToken()));
      out.put("status", s);
      return out;
    }).always();
    client = kube.createClient();

    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, """
        nodes:
          static-1: ["spiffe://rotor.local/ns/web/*", "spiffe://rotor.local/ns/db/sa/postgres"]
          static-2: ["spiffe://rotor.local/ns/batch/sa/job"]
        """);
    server = TestServer.start(Map.of("ROTOR_STATIC_POLICY", policy.toString()), client);
    // Ready includes the pod cache's first list: until then pod-based decisions are 503s.
    await().atMost(Duration.ofSeconds(30)).until(() -> HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(server.http("/readyz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
        .statusCode() == 200);
    operator = server.token("ops", "operator");
    viewer = server.token("look", "viewer");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (client != null) {
      client.close();
    }
    if (kube != null) {
      kube.destroy();
    }
  }

  private record Agent(KeyPair keys, JsonNode cert, HttpClient http) {}

  private static String joinToken(String node) throws Exception {
    Reply r = server.post("/api/v1/join-tokens", operator, Map.of("node", node, "ttlSeconds", 600));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("node").asText()).isEqualTo(node);
    return r.json().get("token").asText();
  }

  private static Agent attestJoin(String node) throws Exception {
    KeyPair keys = Csrs.ec("secp256r1");
    Reply r = server.post("/agent/v1/attest", null, Map.of("method", "join", "token", joinToken(node), "csr", Csrs.pem(keys)));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return new Agent(keys, r.json(), server.mtlsClient(keys.getPrivate(), r.json().get("chain").asText()));
  }

  private static Reply sign(Agent agent, String spiffeId, List<String> dns) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", Csrs.pem(Csrs.ec("secp256r1")));
    body.put("spiffeId", spiffeId);
    if (dns != null) {
      body.put("dnsNames", dns);
    }
    return server.post(agent.http(), "/agent/v1/workloads/sign", body);
  }

  private static long issuedFor(String spiffeId) throws Exception {
    return server.count("SELECT count(*) FROM certificates WHERE '" + spiffeId + "' = ANY(sans)");
  }

  private static void assertProblem(Reply r, int status, String slug) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).isEqualTo("urn:rotor:problem:" + slug);
    assertThat(r.json().get("detail").asText()).isNotBlank();
  }

  private static void assertChains(String chainPem, String bundlePem) throws Exception {
    List<X509Certificate> chain = dev.rotor.pki.Pem.parseCertificates(chainPem);
    Set<TrustAnchor> anchors = dev.rotor.pki.Pem.parseCertificates(bundlePem).stream()
        .map(c -> new TrustAnchor(c, null)).collect(Collectors.toSet());
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), params);
  }

  @Test
  void theTrustBundleIsPublishedAsAConfigMapInTheAgentsNamespace() {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15))
        .until(() -> client.configMaps().inNamespace("rotor-system").withName("rotor-ca-bundle").get() != null);
    var cm = client.configMaps().inNamespace("rotor-system").withName("rotor-ca-bundle").get();
    assertThat(cm.getData().get("ca.pem")).isEqualTo(server.server().ca().bundlePem());
  }

  @Test
  void joinTokenAttestationIssuesAnAgentCertificateOnce() throws Exception {
    KeyPair keys = Csrs.ec("secp256r1");
    String token = joinToken("node-join-1");
    // The CSR asks for a different identity: the server decides the name from the token.
    Reply r = server.post("/agent/v1/attest", null, Map.of("method", "join", "token", token,
        "csr", Csrs.pem(keys, "URI:spiffe://rotor.local/agent/k8s/someone-else")));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    JsonNode j = r.json();
    assertThat(j.get("spiffeId").asText()).isEqualTo("spiffe://rotor.local/agent/k8s/node-join-1");
    X509Certificate leaf = TestServer.parse(j.get("certificate").asText());
    assertThat(leaf.getSubjectAlternativeNames()).extracting(l -> (Object) l.get(1)).containsExactly("spiffe://rotor.local/agent/k8s/node-join-1");
    assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant())).isEqualTo(Duration.ofMinutes(15).plusSeconds(30));
    assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2");
    assertChains(j.get("chain").asText(), j.get("bundle").asText());
    assertThat(j.get("bundle").asText()).isEqualTo(server.get("/agent/v1/bundle", null).json().get("bundle").asText());

    long before = server.count("SELECT count(*) FROM certificates");
    Reply again = server.post("/agent/v1/attest", null, Map.of("method", "join", "token", token, "csr", Csrs.pem(keys)));
    assertProblem(again, 401, "unauthenticated");
    assertProblem(server.post("/agent/v1/attest", null, Map.of("method", "join", "token", "rotor_join_nope", "csr", Csrs.pem(keys))),
        401, "unauthenticated");
    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(before);
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'agent.attested' AND target = 'spiffe://rotor.local/agent/k8s/node-join-1'"))
        .isEqualTo(1);
  }

  @Test
  void aBadCsrDoesNotSpendTheJoinToken() throws Exception {
    String token = joinToken("node-join-2");
    KeyPair weak = Csrs.rsa(1024);
    assertProblem(server.post("/agent/v1/attest", null, Map.of("method", "join", "token", token, "csr", Csrs.pem(weak))), 400, "bad-public-key");
    assertProblem(server.post("/agent/v1/attest", null, Map.of("method", "join", "token", token, "csr", "not a csr")), 400, "bad-csr");
    Reply ok = server.post("/agent/v1/attest", null, Map.of("method", "join", "token", token, "csr", Csrs.pem(Csrs.ec("secp256r1"))));
    assertThat(ok.status()).as(ok.body()).isEqualTo(201);
  }

  @Test
  void anExpiredJoinTokenIsRefused() throws Exception {
    Reply r = server.post("/api/v1/join-tokens", operator, Map.of("node", "node-join-3", "ttlSeconds", 1));
    assertThat(r.status()).isEqualTo(201);
    Thread.sleep(1_100);
    assertProblem(server.post("/agent/v1/attest", null, Map.of("method", "join", "token", r.json().get("token").asText(),
        "csr", Csrs.pem(Csrs.ec("secp256r1")))), 401, "unauthenticated");
  }

  @Test
  void joinTokensNeedAnOperatorAndAValidNode() throws Exception {
    assertProblem(server.post("/api/v1/join-tokens", viewer, Map.of("node", "n1")), 403, "forbidden");
    assertProblem(server.post("/api/v1/join-tokens", null, Map.of("node", "n1")), 401, "unauthenticated");
    assertProblem(server.post("/api/v1/join-tokens", operator, Map.of("node", "Bad_Node")), 400, "malformed-request");
    assertProblem(server.post("/api/v1/join-tokens", operator, Map.of("node", "n1", "ttlSeconds", 0)), 400, "malformed-request");
    assertProblem(server.post("/api/v1/join-tokens", operator, Map.of("node", "n1", "ttlSeconds", 86401)), 400, "malformed-request");
    assertThat(server.count("SELECT count(*) FROM join_tokens WHERE node = 'n1'")).isZero();
    // Only the hash is stored.
    String token = joinToken("n2");
    assertThat(server.count("SELECT count(*) FROM join_tokens WHERE encode(token_hash, 'escape') LIKE '%" + token.substring(11, 20) + "%'")).isZero();
  }

  @Test
  void renewalNeedsTheAgentCertificateAndKeepsTheIdentity() throws Exception {
    Agent agent = attestJoin("static-2");
    KeyPair next = Csrs.ec("secp256r1");
    Reply r = server.post(agent.http(), "/agent/v1/renew", Map.of("csr", Csrs.pem(next)));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("spiffeId").asText()).isEqualTo("spiffe://rotor.local/agent/k8s/static-2");
    assertThat(r.json().get("serial").asText()).isNotEqualTo(agent.cert().get("serial").asText());
    assertThat(TestServer.parse(r.json().get("certificate").asText()).getPublicKey()).isEqualTo(next.getPublic());

    // No client certificate: 401 problem.
    assertProblem(server.post(server.client(), "/agent/v1/renew", Map.of("csr", Csrs.pem(next))), 401, "unauthenticated");
    // A workload certificate (valid, same CA) is not an agent certificate.
    KeyPair wk = Csrs.ec("secp256r1");
    Reply w = server.post(agent.http(), "/agent/v1/workloads/sign",
        Map.of("csr", Csrs.pem(wk), "spiffeId", "spiffe://rotor.local/ns/batch/sa/job"));
    assertThat(w.status()).as(w.body()).isEqualTo(201);
    HttpClient asWorkload = server.mtlsClient(wk.getPrivate(), w.json().get("chain").asText());
    assertProblem(server.post(asWorkload, "/agent/v1/renew", Map.of("csr", Csrs.pem(next))), 403, "forbidden");
  }

  @Test
  void aRenewalWhoseResponseWasLostLocksNothingOut() throws Exception {
    // Issue 10: the agent renews, the server issues and commits, the response never arrives (the
    // agent keeps its current certificate). The previous certificate must still work, for a
    // retried renewal and for everything else, and the certificate issued into the void as well.
    Agent agent = attestJoin("lost-renewal");
    String spiffeId = "spiffe://rotor.local/agent/k8s/lost-renewal";
    KeyPair lostKeys = Csrs.ec("secp256r1");
    Reply lost = server.post(agent.http(), "/agent/v1/renew", Map.of("csr", Csrs.pem(lostKeys)));
    assertThat(lost.status()).as(lost.body()).isEqualTo(201);
    assertThat(issuedFor(spiffeId)).isEqualTo(2);

    // the retry with the previous certificate succeeds
    KeyPair nextKeys = Csrs.ec("secp256r1");
    Reply retried = server.post(agent.http(), "/agent/v1/renew", Map.of("csr", Csrs.pem(nextKeys)));
    assertThat(retried.status()).as(retried.body()).isEqualTo(201);
    assertThat(retried.json().get("spiffeId").asText()).isEqualTo(spiffeId);
    HttpClient next = server.mtlsClient(nextKeys.getPrivate(), retried.json().get("chain").asText());
    // the new certificate is in use ...
    Reply withNext = server.post(next, "/agent/v1/renew", Map.of("csr", Csrs.pem(Csrs.ec("secp256r1"))));
    assertThat(withNext.status()).as(withNext.body()).isEqualTo(201);
    // ... and neither the previous nor the lost one is locked out while unexpired and unrevoked
    assertThat(server.send(agent.http(), "GET", "/agent/v1/revocations?wait=0").status()).isEqualTo(200);
    HttpClient lostClient = server.mtlsClient(lostKeys.getPrivate(), lost.json().get("chain").asText());
    assertThat(server.send(lostClient, "GET", "/agent/v1/revocations?wait=0").status()).isEqualTo(200);
    assertThat(issuedFor(spiffeId)).isEqualTo(4);
  }

  @Test
  void aCertificateFromAnotherCaFailsTheHandshake() throws Exception {
    try (TestServer other = TestServer.start()) {
      KeyPair keys = Csrs.ec("secp256r1");
      Reply foreign = other.issue(TestServer.ADMIN_TOKEN, Csrs.workload("web", "x"), "workload", null);
      HttpClient http = server.mtlsClient(keys.getPrivate(), foreign.json().get("chain").asText());
      try {
        Reply r = server.post(http, "/agent/v1/renew", Map.of("csr", Csrs.pem(keys)));
        assertThat(r.status()).isEqualTo(401); // if the TLS stack let it through, the app must still refuse
      } catch (java.io.IOException e) {
        assertThat(e).isInstanceOfAny(SSLHandshakeException.class, java.io.IOException.class);
      }
    }
  }

  @Test
  void staticPolicyDecidesWorkloadIdentitiesOutsideKubernetes() throws Exception {
    Agent agent = attestJoin("static-1");
    Reply ok = sign(agent, "spiffe://rotor.local/ns/web/sa/frontend", List.of("frontend.web.svc.cluster.local"));
    assertThat(ok.status()).as(ok.body()).isEqualTo(201);
    X509Certificate leaf = TestServer.parse(ok.json().get("certificate").asText());
    assertThat(leaf.getSubjectAlternativeNames()).extracting(l -> (Object) l.get(1))
        .containsExactlyInAnyOrder("spiffe://rotor.local/ns/web/sa/frontend", "frontend.web.svc.cluster.local");
    assertChains(ok.json().get("chain").asText(), ok.json().get("bundle").asText());
    assertThat(sign(agent, "spiffe://rotor.local/ns/db/sa/postgres", null).status()).isEqualTo(201);

    for (String denied : List.of("spiffe://rotor.local/ns/webx/sa/a", "spiffe://rotor.local/ns/db/sa/other", "spiffe://rotor.local/ns/batch/sa/job")) {
      long issued = issuedFor(denied);
      long audited = server.count("SELECT count(*) FROM audit_log WHERE action = 'agent.denied' AND target = '" + denied + "'");
      assertProblem(sign(agent, denied, null), 403, "forbidden");
      assertThat(issuedFor(denied)).isEqualTo(issued);
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'agent.denied' AND target = '" + denied + "'")).isEqualTo(audited + 1);
    }
    // A DNS name of another namespace's service, even for an allowed identity.
    assertProblem(sign(agent, "spiffe://rotor.local/ns/web/sa/frontend", List.of("api.payments.svc.cluster.local")), 403, "forbidden");
    // Not a workload identity at all / foreign trust domain / garbage.
    assertProblem(sign(agent, "spiffe://rotor.local/agent/k8s/static-1", null), 403, "forbidden");
    assertProblem(sign(agent, "spiffe://evil.example/ns/web/sa/frontend", null), 403, "forbidden");
    assertProblem(sign(agent, "https://rotor.local/ns/web/sa/frontend", null), 400, "rejected-identifier");
    assertProblem(server.post(agent.http(), "/agent/v1/workloads/sign", Map.of("spiffeId", "spiffe://rotor.local/ns/web/sa/a")), 400, "malformed-request");
  }

  @Test
  void aRevokedAgentIsRefusedWithinSeconds() throws Exception {
    Agent agent = attestJoin("static-1");
    assertThat(sign(agent, "spiffe://rotor.local/ns/web/sa/a", null).status()).isEqualTo(201);
    Reply rev = server.post("/api/v1/certificates/" + agent.cert().get("serial").asText() + "/revoke", operator, Map.of("reason", "keyCompromise"));
    assertThat(rev.status()).as(rev.body()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
        .until(() -> sign(agent, "spiffe://rotor.local/ns/web/sa/a", null).status() == 403);
    Reply r = sign(agent, "spiffe://rotor.local/ns/web/sa/a", null);
    assertProblem(r, 403, "forbidden");
    assertThat(r.json().get("detail").asText()).contains("revoked");
    assertProblem(server.post(agent.http(), "/agent/v1/renew", Map.of("csr", Csrs.pem(Csrs.ec("secp256r1")))), 403, "forbidden");
  }

  private static Pod pod(String ns, String name, String sa, String node, String phase) {
    return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withServiceAccountName(sa).withNodeName(node).addNewContainer().withName("c").withImage("app").endContainer().endSpec()
        .withNewStatus().withPhase(phase).endStatus().build();
  }

  private static void review(String token, String user, List<String> audiences, Map<String, List<String>> extra) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("authenticated", true);
    status.put("audiences", audiences);
    status.put("user", Map.of("username", user, "uid", "u-" + token, "extra", extra));
    REVIEWS.put(token, status);
  }

  private static Reply attestK8s(String token, KeyPair keys) throws Exception {
    return server.post("/agent/v1/attest", null, Map.of("method", "k8s", "token", token, "csr", Csrs.pem(keys)));
  }

  @Test
  void kubernetesAttestationChecksTheTokenReview() throws Exception {
    String sa = "system:serviceaccount:rotor-system:rotor-agent";
    review("tok-node", sa, List.of("rotor"), Map.of("authentication.kubernetes.io/node-name", List.of("k8s-node-a"),
        "authentication.kubernetes.io/pod-name", List.of("rotor-agent-x")));
    Reply ok = attestK8s("tok-node", Csrs.ec("secp256r1"));
    assertThat(ok.status()).as(ok.body()).isEqualTo(201);
    assertThat(ok.json().get("spiffeId").asText()).isEqualTo("spiffe://rotor.local/agent/k8s/k8s-node-a");

    // Older clusters: no node-name in the token; the bound pod's node counts, if the pod (uid) still exists.
    Pod agentPod = client.pods().resource(new PodBuilder(pod("rotor-system", "rotor-agent-y", "rotor-agent", "k8s-node-b", "Running"))
        .editMetadata().withUid("uid-y").endMetadata().build()).create();
    review("tok-pod", sa, List.of("rotor"), Map.of("authentication.kubernetes.io/pod-name", List.of("rotor-agent-y"),
        "authentication.kubernetes.io/pod-uid", List.of(agentPod.getMetadata().getUid())));
    Reply viaPod = attestK8s("tok-pod", Csrs.ec("secp256r1"));
    assertThat(viaPod.status()).as(viaPod.body()).isEqualTo(201);
    assertThat(viaPod.json().get("spiffeId").asText()).isEqualTo("spiffe://rotor.local/agent/k8s/k8s-node-b");
    review("tok-gone", sa, List.of("rotor"), Map.of("authentication.kubernetes.io/pod-name", List.of("rotor-agent-y"),
        "authentication.kubernetes.io/pod-uid", List.of("some-other-uid")));
    assertProblem(attestK8s("tok-gone", Csrs.ec("secp256r1")), 401, "unauthenticated");

    long before = server.count("SELECT count(*) FROM certificates");
    review("tok-aud", sa, List.of("https://kubernetes.default.svc"), Map.of("authentication.kubernetes.io/node-name", List.of("k8s-node-a")));
    assertProblem(attestK8s("tok-aud", Csrs.ec("secp256r1")), 401, "unauthenticated");
    review("tok-sa", "system:serviceaccount:default:default", List.of("rotor"), Map.of("authentication.kubernetes.io/node-name", List.of("k8s-node-a")));
    assertProblem(attestK8s("tok-sa", Csrs.ec("secp256r1")), 401, "unauthenticated");
    review("tok-unbound", sa, List.of("rotor"), Map.of());
    assertProblem(attestK8s("tok-unbound", Csrs.ec("secp256r1")), 401, "unauthenticated");
    assertProblem(attestK8s("expired-or-forged", Csrs.ec("secp256r1")), 401, "unauthenticated");
    assertProblem(server.post("/agent/v1/attest", null, Map.of("method", "k8s", "csr", Csrs.pem(Csrs.ec("secp256r1")))), 401, "unauthenticated");
    assertProblem(server.post("/agent/v1/attest", null, Map.of("method", "magic", "token", "x", "csr", "x")), 400, "malformed-request");
    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(before);
  }

  @Test
  void anAgentGetsOnlyIdentitiesOfPodsOnItsNode() throws Exception {
    String sa = "system:serviceaccount:rotor-system:rotor-agent";
    review("tok-pods", sa, List.of("rotor"), Map.of("authentication.kubernetes.io/node-name", List.of("k8s-node-p")));
    KeyPair keys = Csrs.ec("secp256r1");
    Reply r = attestK8s("tok-pods", keys);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    Agent agent = new Agent(keys, r.json(), server.mtlsClient(keys.getPrivate(), r.json().get("chain").asText()));
    String id = "spiffe://rotor.local/ns/payments/sa/api";

    assertProblem(sign(agent, id, null), 403, "forbidden");
    client.pods().resource(pod("payments", "api-elsewhere", "api", "k8s-node-other", "Running")).create();
    client.pods().resource(pod("payments", "api-done", "api", "k8s-node-p", "Succeeded")).create();
    client.pods().resource(pod("payments", "other-sa", "worker", "k8s-node-p", "Running")).create();
    Thread.sleep(500); // let the informer see them: none of them may grant the identity
    assertProblem(sign(agent, id, null), 403, "forbidden");
    assertThat(issuedFor(id)).isZero();

    client.pods().resource(pod("payments", "api-1", "api", "k8s-node-p", "Running")).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> sign(agent, id, List.of("api.payments.svc.cluster.local")).status() == 201);
    assertThat(issuedFor(id)).isEqualTo(1);

    client.pods().inNamespace("payments").withName("api-1").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> sign(agent, id, null).status() == 403);
    assertThat(issuedFor(id)).isEqualTo(1);
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'agent.denied' AND target = '" + id + "'")).isGreaterThanOrEqualTo(3);
  }

  @Test
  void agentMetricsCountEndpointsAndOutcomes() throws Exception {
    Agent agent = attestJoin("static-1");
    sign(agent, "spiffe://rotor.local/ns/web/sa/m", null);
    sign(agent, "spiffe://rotor.local/ns/nope/sa/m", null);
    String metrics = HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(server.http("/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).containsPattern("rotor_agent_requests_total\\{endpoint=\"workloads/sign\",outcome=\"issued\"} [1-9]");
    assertThat(metrics).containsPattern("rotor_agent_requests_total\\{endpoint=\"workloads/sign\",outcome=\"forbidden\"} [1-9]");
    assertThat(metrics).containsPattern("rotor_agent_requests_total\\{endpoint=\"attest\",outcome=\"issued\"} [1-9]");
  }

  @Test
  void theRevocationFeedWakesFollowersWhenACertificateIsRevoked() throws Exception {
    Agent agent = attestJoin("static-1");
    Reply first = server.send(agent.http(), "GET", "/agent/v1/revocations?wait=0");
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    String version = first.json().get("version").asText();
    Reply w = sign(agent, "spiffe://rotor.local/ns/web/sa/feed", null);
    String serial = w.json().get("serial").asText();

    // Unchanged set: the long poll returns the same version after its wait.
    long t0 = System.nanoTime();
    Reply same = server.send(agent.http(), "GET", "/agent/v1/revocations?since=" + version + "&wait=1");
    assertThat(same.json().get("version").asText()).isEqualTo(version);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));

    java.util.concurrent.CompletableFuture<Reply> poll = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return server.send(agent.http(), "GET", "/agent/v1/revocations?since=" + version + "&wait=30");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(300);
    assertThat(poll).isNotDone();
    long revokedAt = System.nanoTime();
    assertThat(server.post("/api/v1/certificates/" + serial + "/revoke", operator, Map.of("reason", "keyCompromise")).status()).isEqualTo(200);
    Reply changed = poll.get(10, java.util.concurrent.TimeUnit.SECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - revokedAt);
    assertThat(took).isLessThan(Duration.ofSeconds(2));
    assertThat(changed.json().get("version").asText()).isNotEqualTo(version);
    assertThat(changed.json().get("revoked").findValuesAsText("serial")).contains(serial);

    assertProblem(server.send(server.client(), "GET", "/agent/v1/revocations"), 401, "unauthenticated");
    assertProblem(server.send(agent.http(), "GET", "/agent/v1/revocations?since=zz"), 400, "malformed-request");
    assertProblem(server.send(agent.http(), "GET", "/agent/v1/revocations?wait=100"), 400, "malformed-request");
  }
}
