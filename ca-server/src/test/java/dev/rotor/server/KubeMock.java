package dev.rotor.server;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * fabric8's Kubernetes mock API server in CRUD mode with the CRDs the CertificateRequest
 * controller needs (ours from the chart, cert-manager's CertificateRequest shape from test
 * resources), plus one fault: status writes of chosen CertificateRequests answer 500, like an API
 * server that is failing (or a controller that crashes before its status write lands). The
 * approver's writes (no Ready condition) still land. And Lease writes by a chosen candidate can be
 * refused, as if that replica were cut off.
 */
public final class KubeMock implements AutoCloseable {

  public static final ResourceDefinitionContext CERTIFICATE_REQUESTS = new ResourceDefinitionContext.Builder()
      .withGroup("cert-manager.io").withVersion("v1").withKind("CertificateRequest").withPlural("certificaterequests")
      .withNamespaced(true).build();
  public static final ResourceDefinitionContext ISSUERS = new ResourceDefinitionContext.Builder()
      .withGroup("rotor.dev").withVersion("v1alpha1").withKind("Issuer").withPlural("issuers").withNamespaced(true).build();
  public static final ResourceDefinitionContext CLUSTER_ISSUERS = new ResourceDefinitionContext.Builder()
      .withGroup("rotor.dev").withVersion("v1alpha1").withKind("ClusterIssuer").withPlural("clusterissuers")
      .withNamespaced(false).build();

  /** The chart's CRDs, from the module directory (failsafe runs in ca-server/). */
  static final Path CHART_CRDS = Path.of("..", "charts", "rotor", "crds");

  private final KubernetesMockServer server;
  private final Set<String> failStatusOf = ConcurrentHashMap.newKeySet();
  private final Set<String> refuseLeaseWritesOf = ConcurrentHashMap.newKeySet();
  private final List<KubernetesClient> clients = new ArrayList<>();

  public KubeMock() throws Exception {
    KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        String agent = request.getHeader("User-Agent");
        if (path.contains("/leases/") && !request.getMethod().equals("GET") && agent != null && refuseLeaseWritesOf.contains(agent)) {
          return new MockResponse().setResponseCode(409).setBody(
              "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"injected conflict\","
                  + "\"reason\":\"Conflict\",\"code\":409}");
        }
        for (String name : failStatusOf) {
          // Only the controller's writes (they set Ready); the approver's still land.
          if (path.contains("/certificaterequests/" + name + "/status") && !request.getMethod().equals("GET")
              && new String(request.getBody().getBytes(), java.nio.charset.StandardCharsets.UTF_8).contains("\"Ready\"")) {
            return new MockResponse().setResponseCode(500).setBody(
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"injected fault\",\"code\":500}");
          }
        }
        return super.dispatch(request);
      }
    };
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    KubernetesClient admin = client();
    try (var files = Files.list(CHART_CRDS)) {
      for (Path crd : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        admin.apiextensions().v1().customResourceDefinitions().load(crd.toFile()).create();
      }
    }
    try (InputStream in = KubeMock.class.getResourceAsStream("/k8s/certificaterequests.cert-manager.io.yaml")) {
      admin.apiextensions().v1().customResourceDefinitions().load(in).create();
    }
  }

  /** A new client of the mock server (each server replica gets its own, as in a cluster). */
  public KubernetesClient client() {
    KubernetesClient c = server.createClient();
    clients.add(c);
    return c;
  }

  /** From now on, status writes of the named CertificateRequest fail with 500. */
  public void failStatusWrites(String name) {
    failStatusOf.add(name);
  }

  /** A new client whose requests carry {@code userAgent}, so that faults can single out one replica. */
  public KubernetesClient client(String userAgent) {
    KubernetesClient plain = server.createClient();
    KubernetesClient c = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
        new io.fabric8.kubernetes.client.ConfigBuilder(plain.getConfiguration()).withUserAgent(userAgent).build()).build();
    plain.close();
    clients.add(c);
    return c;
  }

  /**
   * From now on, Lease writes from the client with this user agent are refused (409), as for a
   * replica cut off from the API server: it cannot renew, so it must stop leading, and another
   * must take over.
   */
  public void refuseLeaseWrites(String userAgent) {
    refuseLeaseWritesOf.add(userAgent);
  }

  public void healStatusWrites(String name) {
    failStatusOf.remove(name);
  }

  public GenericKubernetesResource issuer(KubernetesClient c, String namespace, String name, Map<String, Object> spec) {
    return c.genericKubernetesResources(ISSUERS).inNamespace(namespace).resource(new GenericKubernetesResourceBuilder()
        .withApiVersion("rotor.dev/v1alpha1").withKind("Issuer").withNewMetadata().withNamespace(namespace).withName(name)
        .endMetadata().addToAdditionalProperties("spec", spec).build()).create();
  }

  public GenericKubernetesResource clusterIssuer(KubernetesClient c, String name, Map<String, Object> spec) {
    return c.genericKubernetesResources(CLUSTER_ISSUERS).resource(new GenericKubernetesResourceBuilder()
        .withApiVersion("rotor.dev/v1alpha1").withKind("ClusterIssuer").withNewMetadata().withName(name)
        .endMetadata().addToAdditionalProperties("spec", spec).build()).create();
  }

  /** A CertificateRequest as cert-manager writes one: spec.request is the base64 of the PEM CSR. */
  public static Map<String, Object> requestSpec(String csrPem, String issuerGroup, String issuerKind, String issuerName) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("request", Base64.getEncoder().encodeToString(csrPem.getBytes()));
    spec.put("issuerRef", Map.of("group", issuerGroup, "kind", issuerKind, "name", issuerName));
    spec.put("usages", List.of("digital signature", "key encipherment", "server auth", "client auth"));
    spec.put("username", "system:serviceaccount:cert-manager:cert-manager");
    spec.put("groups", List.of("system:serviceaccounts", "system:serviceaccounts:cert-manager", "system:authenticated"));
    return spec;
  }

  public GenericKubernetesResource createRequest(KubernetesClient c, String namespace, String name, Map<String, Object> spec) {
    return c.genericKubernetesResources(CERTIFICATE_REQUESTS).inNamespace(namespace).resource(new GenericKubernetesResourceBuilder()
        .withApiVersion("cert-manager.io/v1").withKind("CertificateRequest").withNewMetadata().withNamespace(namespace)
        .withName(name).endMetadata().addToAdditionalProperties("spec", spec).build()).create();
  }

  /** Sets the Approved (or Denied) condition, as cert-manager's approver does. */
  public GenericKubernetesResource decide(KubernetesClient c, String namespace, String name, String type) {
    GenericKubernetesResource cr = get(c, namespace, name);
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("type", type);
    condition.put("status", "True");
    condition.put("reason", "cert-manager.io");
    condition.put("message", type.equals("Approved") ? "Certificate request has been approved by cert-manager.io"
        : "Denied by policy-approver: namespace not allowed");
    condition.put("lastTransitionTime", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    cr.getAdditionalProperties().put("status", Map.of("conditions", List.of(condition)));
    return c.genericKubernetesResources(CERTIFICATE_REQUESTS).inNamespace(namespace).resource(cr).updateStatus();
  }

  public GenericKubernetesResource get(KubernetesClient c, String namespace, String name) {
    return c.genericKubernetesResources(CERTIFICATE_REQUESTS).inNamespace(namespace).withName(name).get();
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> status(GenericKubernetesResource r) {
    Object s = r.getAdditionalProperties().get("status");
    return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> condition(GenericKubernetesResource r, String type) {
    Object list = status(r).get("conditions");
    if (list instanceof List<?> l) {
      for (Object o : l) {
        Map<String, Object> c = (Map<String, Object>) o;
        if (type.equals(c.get("type"))) {
          return c;
        }
      }
    }
    return Map.of();
  }

  @Override
  public void close() {
    for (KubernetesClient c : clients) {
      c.close();
    }
    server.destroy();
  }
}
