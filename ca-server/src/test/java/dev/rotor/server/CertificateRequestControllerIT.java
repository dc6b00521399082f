package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6: Rotor as a cert-manager external issuer. A real server (real PostgreSQL, real
 * signing) reconciles CertificateRequests held by fabric8's mock API server in CRUD mode, with
 * the chart's Issuer and ClusterIssuer CRDs.
 */
class CertificateRequestControllerIT {

  private static final String NS = "web";
  /** LeaderElection's retry period (2 s). */
  private static final long LEASE_RETRY_MS = 2_000;
  private static final String USER = "system:serviceaccount:cert-manager:cert-manager";
  private static KubeMock kube;
  private static KubernetesClient client;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    kube = new KubeMock();
    client = kube.client();
    server = TestServer.start(Map.of(), kube.client());
    // "capped" shortens long durations to 12 minutes; "plain" leaves the profile's bounds alone.
    kube.issuer(client, NS, "capped", Map.of("profile", "workload", "maxTtl", "12m"));
    kube.issuer(client, NS, "plain", Map.of("profile", "workload"));
    kube.issuer(client, NS, "typo", Map.of("profile", "no-such-profile"));
    kube.clusterIssuer(client, "shared", Map.of("profile", "workload", "allowedNamespaces", List.of(NS, "load")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  private static String csr(String... sans) throws Exception {
    return Csrs.pem(Csrs.ec("secp256r1"), sans);
  }

  private static GenericKubernetesResource approved(String ns, String name, Map<String, Object> spec) {
    kube.createRequest(client, ns, name, spec);
    return kube.decide(client, ns, name, "Approved");
  }

  private static GenericKubernetesResource awaitReady(String ns, String name, String status) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> status.equals(KubeMock.condition(kube.get(client, ns, name), "Ready").get("status")));
    return kube.get(client, ns, name);
  }

  private static long recorded(GenericKubernetesResource cr) throws Exception {
    return server.count("SELECT count(*) FROM certificate_requests WHERE request_key = '" + cr.getMetadata().getUid() + "'");
  }

  private static String decode(Object base64) {
    return new String(Base64.getDecoder().decode((String) base64), StandardCharsets.US_ASCII);
  }

  private static X509Certificate verifiedLeaf(GenericKubernetesResource cr) throws Exception {
    List<X509Certificate> chain = dev.rotor.pki.Pem.parseCertificates(decode(KubeMock.status(cr).get("certificate")));
    List<X509Certificate> roots = dev.rotor.pki.Pem.parseCertificates(decode(KubeMock.status(cr).get("ca")));
    Set<TrustAnchor> anchors = roots.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toSet());
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), params);
    return chain.get(0);
  }

  private static List<Event> events(String ns, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
  }

  /** 1: approved → issued, chains to status.ca, carries the requested names and the capped duration. */
  @Test
  void anApprovedRequestIsIssued() throws Exception {
    String spiffe = "spiffe://rotor.local/ns/web/sa/api";
    Map<String, Object> spec = KubeMock.requestSpec(csr("URI:" + spiffe, "DNS:api.web.svc.cluster.local"), "rotor.dev", "Issuer", "capped");
    spec.put("duration", "20m");
    approved(NS, "api-1", spec);
    GenericKubernetesResource cr = awaitReady(NS, "api-1", "True");

    assertThat(KubeMock.condition(cr, "Ready")).containsEntry("reason", "Issued");
    assertThat(KubeMock.condition(cr, "Approved")).containsEntry("status", "True");
    X509Certificate leaf = verifiedLeaf(cr);
    assertThat(leaf.getSubjectAlternativeNames()).extracting(l -> (Object) l.get(1))
        .containsExactlyInAnyOrder(spiffe, "api.web.svc.cluster.local");
    // 20m requested, the issuer's maxTtl is 12m: 12 minutes (plus the 30 s backdating).
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofMinutes(12).plusSeconds(30));
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    String serial = leaf.getSerialNumber().toString(16);
    assertThat(server.count("SELECT count(*) FROM certificate_requests r JOIN certificates c USING (serial) WHERE r.request_key = '"
        + cr.getMetadata().getUid() + "' AND c.serial = '" + serial + "' AND c.channel = 'crd' AND c.requester = 'k8s:" + USER + "'"))
        .isEqualTo(1);
    // The requester and the request's identity are in the audit log.
    // One entry, written with the certificate: its serial, the request's identity and the requester.
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificate.issued' AND target = '" + serial + "'"
        + " AND actor = 'k8s:" + USER + "' AND details LIKE '%\"namespace\":\"web\"%' AND details LIKE '%\"name\":\"api-1\"%'"
        + " AND details LIKE '%\"uid\":\"" + cr.getMetadata().getUid() + "\"%' AND details LIKE '%\"username\":\"" + USER + "\"%'"
        + " AND details LIKE '%system:serviceaccounts:cert-manager%' AND details LIKE '%" + serial + "%'")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> !events(NS, "api-1").isEmpty());
    assertThat(events(NS, "api-1")).singleElement().satisfies(e -> {
      assertThat(e.getType()).isEqualTo("Normal");
      assertThat(e.getReason()).isEqualTo("Issued");
    });

    // Within the profile's bounds and without an issuer cap, the requested duration is honoured;
    // a ClusterIssuer signs for an allowed namespace.
    Map<String, Object> exact = KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/worker"), "rotor.dev", "ClusterIssuer", "shared");
    exact.put("duration", "11m");
    approved(NS, "worker-1", exact);
    X509Certificate worker = verifiedLeaf(awaitReady(NS, "worker-1", "True"));
    assertThat(Duration.between(worker.getNotBefore().toInstant(), worker.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofMinutes(11).plusSeconds(30));
  }

  /** 2: denied → Ready=False/Denied with failureTime, nothing issued; unapproved → left alone. */
  @Test
  void deniedAndUnapprovedRequestsAreNotSigned() throws Exception {
    kube.createRequest(client, NS, "denied-1", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/denied"), "rotor.dev", "Issuer", "plain"));
    kube.decide(client, NS, "denied-1", "Denied");
    kube.createRequest(client, NS, "waiting-1", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/waiting"), "rotor.dev", "Issuer", "plain"));

    GenericKubernetesResource denied = awaitReady(NS, "denied-1", "False");
    assertThat(KubeMock.condition(denied, "Ready")).containsEntry("reason", "Denied");
    assertThat(KubeMock.status(denied)).containsKey("failureTime").doesNotContainKey("certificate");
    assertThat(recorded(denied)).isZero();
    assertThat(server.count("SELECT count(*) FROM certificates WHERE 'spiffe://rotor.local/ns/web/sa/denied' = ANY(sans)")).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> events(NS, "denied-1").stream()
        .anyMatch(e -> e.getType().equals("Warning") && e.getReason().equals("Denied")));

    // A later request passes through the same queue; by then the unapproved one has been seen and left alone.
    approved(NS, "after-waiting", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/after"), "rotor.dev", "Issuer", "plain"));
    awaitReady(NS, "after-waiting", "True");
    GenericKubernetesResource waiting = kube.get(client, NS, "waiting-1");
    assertThat(KubeMock.status(waiting)).isEmpty();
    assertThat(recorded(waiting)).isZero();
    assertThat(server.count("SELECT count(*) FROM certificates WHERE 'spiffe://rotor.local/ns/web/sa/waiting' = ANY(sans)")).isZero();

    // Approving it later is enough.
    kube.decide(client, NS, "waiting-1", "Approved");
    awaitReady(NS, "waiting-1", "True");

    // The admin view lists what the controller did, with the condition it wrote.
    com.fasterxml.jackson.databind.JsonNode items = server.get("/api/v1/certificate-requests?limit=500", TestServer.ADMIN_TOKEN)
        .json().get("items");
    java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byName = new java.util.HashMap<>();
    items.forEach(i -> byName.putIfAbsent(i.get("namespace").asText() + "/" + i.get("name").asText(), i));
    assertThat(byName.get(NS + "/denied-1").get("reason").asText()).isEqualTo("Denied");
    assertThat(byName.get(NS + "/denied-1").get("condition").asText()).isEqualTo("Ready=False");
    assertThat(byName.get(NS + "/waiting-1").get("reason").asText()).isEqualTo("Issued");
    assertThat(byName.get(NS + "/waiting-1").get("serial").asText()).isNotBlank();
    assertThat(byName.get(NS + "/waiting-1").get("username").asText()).isEqualTo(USER);
    assertThat(server.get("/api/v1/certificate-requests?limit=0", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
  }

  /** 3: permanent problems → Ready=False/Failed, InvalidRequest=True, failureTime; nothing issued. */
  @Test
  void invalidRequestsFail() throws Exception {
    Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
    Map<String, Object> badCsr = KubeMock.requestSpec("x", "rotor.dev", "Issuer", "plain");
    badCsr.put("request", Base64.getEncoder().encodeToString("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n".getBytes()));
    cases.put("fail-bad-csr", badCsr);
    Map<String, Object> notBase64 = KubeMock.requestSpec("x", "rotor.dev", "Issuer", "plain");
    notBase64.put("request", "%%% not base64 %%%");
    cases.put("fail-not-base64", notBase64);
    Map<String, Object> isCa = KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/ca"), "rotor.dev", "Issuer", "plain");
    isCa.put("isCA", true);
    cases.put("fail-is-ca", isCa);
    cases.put("fail-other-namespace", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/db/sa/postgres"), "rotor.dev", "Issuer", "plain"));
    Map<String, Object> tooLong = KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/long"), "rotor.dev", "Issuer", "plain");
    tooLong.put("duration", "2h");
    cases.put("fail-duration-over-max", tooLong);
    Map<String, Object> codeSigning = KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/signer"), "rotor.dev", "Issuer", "plain");
    codeSigning.put("usages", List.of("digital signature", "code signing"));
    cases.put("fail-usage", codeSigning);
    cases.put("fail-dns-outside-policy", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/dns", "DNS:www.example.com"),
        "rotor.dev", "Issuer", "plain"));
    Map<String, Object> badDuration = KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/d"), "rotor.dev", "Issuer", "plain");
    badDuration.put("duration", "ten minutes");
    cases.put("fail-duration-syntax", badDuration);

    cases.forEach((name, spec) -> approved(NS, name, spec));
    // A ClusterIssuer that does not serve the namespace.
    kube.createRequest(client, "other", "fail-namespace-not-allowed",
        KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/other/sa/x"), "rotor.dev", "ClusterIssuer", "shared"));
    kube.decide(client, "other", "fail-namespace-not-allowed", "Approved");

    Map<String, String> all = new LinkedHashMap<>();
    cases.keySet().forEach(n -> all.put(n, NS));
    all.put("fail-namespace-not-allowed", "other");
    for (Map.Entry<String, String> c : all.entrySet()) {
      GenericKubernetesResource cr = awaitReady(c.getValue(), c.getKey(), "False");
      assertThat(KubeMock.condition(cr, "Ready")).as(c.getKey()).containsEntry("reason", "Failed");
      assertThat(KubeMock.condition(cr, "InvalidRequest")).as(c.getKey()).containsEntry("status", "True");
      assertThat(KubeMock.status(cr)).as(c.getKey()).containsKey("failureTime").doesNotContainKey("certificate");
      assertThat(recorded(cr)).as(c.getKey()).isZero();
      assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificaterequest.failed' AND target = '"
          + c.getValue() + "/" + c.getKey() + "'")).as(c.getKey()).isEqualTo(1);
    }
    assertThat((String) KubeMock.condition(kube.get(client, NS, "fail-other-namespace"), "Ready").get("message"))
        .contains("not in namespace web");
    assertThat((String) KubeMock.condition(kube.get(client, NS, "fail-duration-over-max"), "Ready").get("message"))
        .contains("above the maximum");
    assertThat(server.count("SELECT count(*) FROM certificates WHERE channel = 'crd' AND ("
        + "'spiffe://rotor.local/ns/web/sa/ca' = ANY(sans) OR 'spiffe://rotor.local/ns/db/sa/postgres' = ANY(sans)"
        + " OR 'spiffe://rotor.local/ns/web/sa/long' = ANY(sans) OR 'spiffe://rotor.local/ns/web/sa/signer' = ANY(sans))")).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> events(NS, "fail-is-ca").stream()
        .anyMatch(e -> e.getType().equals("Warning") && e.getReason().equals("Failed")));
  }

  /** 4: another issuer group is none of Rotor's business; an unusable issuer leaves the request Pending. */
  @Test
  void requestsForOtherIssuersAreUntouched() throws Exception {
    approved(NS, "acme-1", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/acme"), "cert-manager.io", "Issuer", "letsencrypt"));
    approved(NS, "typo-1", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/typo"), "rotor.dev", "Issuer", "typo"));
    approved(NS, "sentinel-4", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/web/sa/s4"), "rotor.dev", "Issuer", "plain"));
    awaitReady(NS, "sentinel-4", "True");
    GenericKubernetesResource other = kube.get(client, NS, "acme-1");
    assertThat(KubeMock.condition(other, "Ready")).isEmpty();
    assertThat(KubeMock.status(other)).doesNotContainKeys("certificate", "failureTime");
    assertThat(recorded(other)).isZero();
    assertThat(events(NS, "acme-1")).isEmpty();

    GenericKubernetesResource typo = awaitReady(NS, "typo-1", "False");
    assertThat(KubeMock.condition(typo, "Ready")).containsEntry("reason", "Pending");
    assertThat(KubeMock.status(typo)).doesNotContainKey("failureTime");
    assertThat(recorded(typo)).isZero();
    // The issuers' own Ready conditions.
    await().atMost(Duration.ofSeconds(10)).until(() -> "True".equals(issuerReady("plain").get("status"))
        && "False".equals(issuerReady("typo").get("status")));
    assertThat(issuerReady("typo")).containsEntry("reason", "UnknownProfile");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> issuerReady(String name) {
    GenericKubernetesResource i = client.genericKubernetesResources(KubeMock.ISSUERS).inNamespace(NS).withName(name).get();
    Object conditions = KubeMock.status(i).get("conditions");
    if (conditions instanceof List<?> l) {
      return l.stream().map(o -> (Map<String, Object>) o).filter(c -> "Ready".equals(c.get("type"))).findFirst().orElse(Map.of());
    }
    return Map.of();
  }

  /** 5: signed and recorded, then the process dies before the status lands: the restart writes the same certificate. */
  @Test
  void aCrashBetweenSigningAndStatusReusesTheRecordedCertificate() throws Exception {
    String spiffe = "spiffe://rotor.local/ns/web/sa/crash";
    kube.failStatusWrites("crash-1");
    GenericKubernetesResource cr = approved(NS, "crash-1", KubeMock.requestSpec(csr("URI:" + spiffe), "rotor.dev", "Issuer", "plain"));
    await().atMost(Duration.ofSeconds(30)).until(() -> recorded(cr) == 1);
    String serial;
    try (var c = server.sql(); var st = c.createStatement();
         var rs = st.executeQuery("SELECT serial FROM certificate_requests WHERE request_key = '" + cr.getMetadata().getUid() + "'")) {
      rs.next();
      serial = rs.getString(1);
    }
    assertThat(KubeMock.condition(kube.get(client, NS, "crash-1"), "Ready")).isEmpty();

    server.stop();
    kube.healStatusWrites("crash-1");
    server.startAgain();
    GenericKubernetesResource done = awaitReady(NS, "crash-1", "True");
    assertThat(verifiedLeaf(done).getSerialNumber().toString(16)).isEqualTo(serial);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE '" + spiffe + "' = ANY(sans)")).isEqualTo(1);
  }

  /** 7: a burst of 500 approved requests: every one Ready, 500 certificates, no duplicates. */
  @Test
  void fiveHundredRequestsAtOnce() throws Exception {
    String ns = "load";
    kube.issuer(client, ns, "bulk", Map.of("profile", "workload"));
    int n = 500;
    List<String> csrs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      csrs.add(csr("URI:spiffe://rotor.local/ns/load/sa/w" + i));
    }
    long before = server.count("SELECT count(*) FROM certificates");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> created = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        created.add(pool.submit(() -> approved(ns, "bulk-" + k, KubeMock.requestSpec(csrs.get(k), "rotor.dev", "Issuer", "bulk"))));
      }
      for (Future<?> f : created) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.genericKubernetesResources(KubeMock.CERTIFICATE_REQUESTS).inNamespace(ns).list().getItems().stream()
            .filter(cr -> "True".equals(KubeMock.condition(cr, "Ready").get("status"))).count() == n);
    Set<String> serials = new HashSet<>();
    for (GenericKubernetesResource cr : client.genericKubernetesResources(KubeMock.CERTIFICATE_REQUESTS).inNamespace(ns).list().getItems()) {
      X509Certificate leaf = dev.rotor.pki.Pem.parseCertificates(decode(KubeMock.status(cr).get("certificate"))).get(0);
      String index = cr.getMetadata().getName().substring("bulk-".length());
      assertThat(leaf.getSubjectAlternativeNames()).extracting(l -> (Object) l.get(1))
          .containsExactly("spiffe://rotor.local/ns/load/sa/w" + index);
      serials.add(leaf.getSerialNumber().toString(16));
    }
    assertThat(serials).hasSize(n);
    assertThat(server.count("SELECT count(*) FROM certificates") - before).isEqualTo(n);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE sans[1] LIKE 'spiffe://rotor.local/ns/load/%'")).isEqualTo(n);
    assertThat(server.count("SELECT count(DISTINCT request_key) FROM certificate_requests r JOIN certificates c USING (serial)"
        + " WHERE c.sans[1] LIKE 'spiffe://rotor.local/ns/load/%'")).isEqualTo(n);
  }

  /** 6: two replicas on one database: one leads; stop it and the other takes over and finishes what it left. */
  @Test
  void anotherReplicaTakesOver(@TempDir Path dir) throws Exception {
    try (KubeMock cluster = new KubeMock();
         EmbeddedPostgres db = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).start()) {
      Map<String, Object> shared = Map.of("ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + db.getPort() + "/postgres",
          "ROTOR_DB_USER", "postgres", "ROTOR_CA_PASSPHRASE", "shared-by-replicas");
      KubernetesClient c = cluster.client();
      cluster.issuer(c, "ha", "ha", Map.of("profile", "workload"));
      try (TestServer a = TestServer.start(shared, cluster.client()); TestServer b = TestServer.start(shared, cluster.client())) {
        await().atMost(Duration.ofSeconds(20)).until(() -> isLeading(a) || isLeading(b));
        TestServer leader = isLeading(a) ? a : b;
        TestServer follower = leader == a ? b : a;
        assertThat(isLeading(follower)).isFalse();

        // The leader signs but cannot write the status; then it stops.
        int n = 20;
        List<GenericKubernetesResource> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          cluster.failStatusWrites("ha-" + i);
          cluster.createRequest(c, "ha", "ha-" + i, KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/ha/sa/w" + i), "rotor.dev", "Issuer", "ha"));
          pending.add(cluster.decide(c, "ha", "ha-" + i, "Approved"));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> leader.count("SELECT count(*) FROM certificate_requests") == n);
        // Plus some that nobody has seen yet.
        for (int i = n; i < n + 5; i++) {
          cluster.createRequest(c, "ha", "ha-" + i, KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/ha/sa/w" + i), "rotor.dev", "Issuer", "ha"));
        }
        assertThat(isLeading(follower)).isFalse();
        long stoppedAt = System.nanoTime();
        leader.stop();
        for (int i = 0; i < n; i++) {
          cluster.healStatusWrites("ha-" + i);
        }
        for (int i = n; i < n + 5; i++) {
          cluster.decide(c, "ha", "ha-" + i, "Approved");
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> isLeading(follower));
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.genericKubernetesResources(KubeMock.CERTIFICATE_REQUESTS).inNamespace("ha")
            .list().getItems().stream().filter(cr -> "True".equals(KubeMock.condition(cr, "Ready").get("status"))).count() == n + 5);
        // The first 20 carry the certificates the old leader recorded: nothing was signed twice.
        assertThat(follower.count("SELECT count(*) FROM certificates WHERE channel = 'crd'")).isEqualTo(n + 5);
        for (GenericKubernetesResource cr : pending) {
          String serial = dev.rotor.pki.Pem.parseCertificates(decode(KubeMock.status(cluster.get(c, "ha", cr.getMetadata().getName()))
              .get("certificate"))).get(0).getSerialNumber().toString(16);
          assertThat(follower.count("SELECT count(*) FROM certificate_requests WHERE request_key = '" + cr.getMetadata().getUid()
              + "' AND serial = '" + serial + "'")).isEqualTo(1);
        }
      }
    }
  }

  /** 6b: a leader that can no longer renew its Lease (cut off, hung) stops, and another takes over within 15 s. */
  @Test
  void aLeaderThatCannotRenewIsReplacedWithin15Seconds(@TempDir Path dir) throws Exception {
    try (KubeMock cluster = new KubeMock();
         EmbeddedPostgres db = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).start()) {
      Map<String, Object> shared = Map.of("ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + db.getPort() + "/postgres",
          "ROTOR_DB_USER", "postgres", "ROTOR_CA_PASSPHRASE", "shared-by-replicas");
      KubernetesClient c = cluster.client();
      cluster.issuer(c, "ha", "ha", Map.of("profile", "workload"));
      try (TestServer a = TestServer.start(shared, cluster.client("replica-a"));
           TestServer b = TestServer.start(shared, cluster.client("replica-b"))) {
        await().atMost(Duration.ofSeconds(20)).until(() -> isLeading(a) || isLeading(b));
        TestServer leader = isLeading(a) ? a : b;
        TestServer follower = leader == a ? b : a;
        long cutAt = System.nanoTime();
        cluster.refuseLeaseWrites(leader == a ? "replica-a" : "replica-b");
        // Never two leaders at once: the old one stops (renew deadline 7 s) before the Lease expires (10 s).
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> {
          assertThat(isLeading(leader) && isLeading(follower)).as("two leaders").isFalse();
          return isLeading(follower);
        });
        assertThat(Duration.ofNanos(System.nanoTime() - cutAt)).isLessThan(Duration.ofSeconds(15));
        assertThat(isLeading(leader)).isFalse();
        cluster.createRequest(c, "ha", "after-cut", KubeMock.requestSpec(csr("URI:spiffe://rotor.local/ns/ha/sa/after"), "rotor.dev", "Issuer", "ha"));
        cluster.decide(c, "ha", "after-cut", "Approved");
        await().atMost(Duration.ofSeconds(30)).until(() ->
            "True".equals(KubeMock.condition(cluster.get(c, "ha", "after-cut"), "Ready").get("status")));
        // The cut-off replica keeps campaigning but cannot take the Lease back.
        Thread.sleep(LEASE_RETRY_MS * 2);
        assertThat(isLeading(leader)).isFalse();
        assertThat(isLeading(follower)).isTrue();
      }
    }
  }

  private static boolean isLeading(TestServer s) {
    return s.server() != null && s.server().crdController().map(l -> l.isLeading()).orElse(false);
  }
}
