package dev.rotor.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** charts/rotor through helm-java (helm itself, in-process): lint, template, typed objects, RBAC, schema. */
class ChartTest {

  static final Path CHART = Path.of("rotor").toAbsolutePath();

  static TemplateCommand template() {
    return new Helm(CHART).template().withName("rotor").withNamespace("rotor-system");
  }

  /** Every rendered document as a typed fabric8 object (custom kinds as generic resources). */
  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
        continue;
      }
      Object o = Serialization.unmarshal(doc);
      assertThat(o).as(doc).isInstanceOf(HasMetadata.class);
      out.add((HasMetadata) o);
    }
    return out;
  }

  static <T> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
    return all(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  @Test
  void lint_passes_strictly() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
    assertThat(r.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void default_values_render_a_hardened_two_replica_server_and_the_agent_daemonset() {
    List<HasMetadata> objects = parse(template().call());
    Deployment server = one(objects, Deployment.class, "rotor-server");
    assertThat(server.getSpec().getReplicas()).isEqualTo(2);
    var pod = server.getSpec().getTemplate().getSpec();
    assertThat(pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution()).isNotEmpty();
    Container c = pod.getContainers().get(0);
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("ROTOR_DB_URL"));
    assertThat(c.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("ROTOR_DB_PASSWORD");
      assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("rotor-postgresql");
    });
    assertThat(one(objects, PodDisruptionBudget.class, "rotor-server").getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(one(objects, Service.class, "rotor-server").getSpec().getPorts()).extracting(p -> p.getName())
        .containsExactly("https", "http");
    // Tokens are mounted only into the pods that call the API; the ServiceAccounts do not automount.
    assertThat(all(objects, ServiceAccount.class)).allSatisfy(sa -> assertThat(sa.getAutomountServiceAccountToken()).isFalse());

    String config = one(objects, ConfigMap.class, "rotor-server").getData().get("rotor.yaml");
    assertThat(config).contains("trustDomain: \"rotor.local\"").contains("workload: {defaultTtl: 15m, minTtl: 10m, maxTtl: 15m}")
        .contains("agentServiceAccount: \"rotor-agent\"").contains("agentNamespace: \"rotor-system\"")
        .doesNotContain("permittedIps:"); // unset: any unicast address

    DaemonSet agent = one(objects, DaemonSet.class, "rotor-agent");
    var agentPod = agent.getSpec().getTemplate().getSpec();
    assertThat(agentPod.getVolumes()).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("token");
      assertThat(v.getProjected().getSources().get(0).getServiceAccountToken().getAudience()).isEqualTo("rotor");
    });
    assertThat(agentPod.getVolumes()).anySatisfy(v -> assertThat(v.getConfigMap() == null ? null : v.getConfigMap().getName())
        .isEqualTo("rotor-ca-bundle"));
    assertThat(agentPod.getContainers().get(0).getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("NODE_NAME");
      assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
    });
    // The JVM set-up rotor-load proxy measures (load-tests' ProxyBenchTest ties the two together).
    Container agentContainer = agentPod.getContainers().get(0);
    assertThat(agentContainer.getResources().getLimits().get("memory")).hasToString("256Mi");
    assertThat(agentContainer.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("MALLOC_ARENA_MAX");
      assertThat(e.getValue()).isEqualTo("2");
    });
    assertThat(agentContainer.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("JAVA_TOOL_OPTIONS");
      assertThat(e.getValue()).contains("-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC", "-XX:TrimNativeHeapInterval=1000");
    });
    assertThat(one(objects, ConfigMap.class, "rotor-agent").getData().get("agent.yaml"))
        .contains("server: \"https://rotor-server.rotor-system.svc:8443\"");
    // Optional parts are off by default.
    assertThat(all(objects, Ingress.class)).isEmpty();
    assertThat(all(objects, NetworkPolicy.class)).isEmpty();
    assertThat(all(objects, GenericKubernetesResource.class)).isEmpty();
    assertThat(all(objects, PersistentVolumeClaim.class)).isEmpty();
  }

  @Test
  void acme_can_be_switched_off() {
    List<HasMetadata> objects = parse(template().set("acme.enabled", false).set("acme.ingress.enabled", true).call());
    assertThat(one(objects, ConfigMap.class, "rotor-server").getData().get("rotor.yaml")).contains("acmeEnabled: \"false\"");
    assertThat(all(objects, Ingress.class)).isEmpty();
  }

  @Test
  void every_optional_feature_renders() {
    String yaml = template()
        .set("database.url", "").set("server.replicas", 1)
        .set("acme.ingress.enabled", true).set("acme.eabRequired", true).set("acme.permittedIps[0]", "10.0.0.0/8").set("permittedIps[0]", "10.0.0.0/8").set("permittedIps[1]", "fd00::/8").set("acme.ingress.className", "nginx").set("acme.ingress.tlsSecret", "acme-tls")
        .set("metrics.serviceMonitor.enabled", true)
        .set("networkPolicy.enabled", true)
        .set("ca.existingSecret", "my-ca").set("ca.passphraseSecret", "my-passphrase")
        .set("agent.namespaces[0]", "payments").set("agent.namespaces[1]", "web")
        .set("agent.proxy.inbound[0].name", "payments-in").set("agent.proxy.inbound[0].listen", "0.0.0.0:15443")
        .set("agent.proxy.inbound[0].backend", "127.0.0.1:8080").set("agent.proxy.inbound[0].identity", "spiffe://rotor.local/ns/payments/sa/api")
        .set("agent.proxy.inbound[0].allow[0]", "spiffe://rotor.local/ns/web/*")
        .call();
    List<HasMetadata> objects = parse(yaml);
    Ingress ingress = one(objects, Ingress.class, "rotor-server-acme");
    assertThat(ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getPath()).isEqualTo("/acme");
    assertThat(ingress.getSpec().getTls().get(0).getSecretName()).isEqualTo("acme-tls");
    GenericKubernetesResource monitor = all(objects, GenericKubernetesResource.class).stream()
        .filter(r -> r.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(one(objects, NetworkPolicy.class, "rotor-server").getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    // Embedded database: one replica, a kept volume, no rolling overlap.
    Deployment server = one(objects, Deployment.class, "rotor-server");
    assertThat(server.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(one(objects, PersistentVolumeClaim.class, "rotor-server-data").getMetadata().getAnnotations())
        .containsEntry("helm.sh/resource-policy", "keep");
    Container c = server.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getEnv()).noneSatisfy(e -> assertThat(e.getName()).isEqualTo("ROTOR_DB_URL"));
    assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("ROTOR_CA_CERT"));
    assertThat(c.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("ROTOR_CA_PASSPHRASE");
      assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("my-passphrase");
    });
    // Secrets only in the listed namespaces.
    assertThat(all(objects, RoleBinding.class).stream().filter(b -> b.getMetadata().getName().equals("rotor-agent-secrets"))
        .map(b -> b.getMetadata().getNamespace())).containsExactlyInAnyOrder("payments", "web");
    assertThat(all(objects, ClusterRoleBinding.class)).noneMatch(b -> b.getMetadata().getName().equals("rotor-agent-secrets"));
    DaemonSet agent = one(objects, DaemonSet.class, "rotor-agent");
    assertThat(agent.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
        .anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(15443));
    assertThat(one(objects, ConfigMap.class, "rotor-agent").getData().get("agent.yaml")).contains("payments-in").contains("allow:")
        .contains("secretNamespaces: \"payments,web\"");
    assertThat(one(objects, ConfigMap.class, "rotor-server").getData().get("rotor.yaml"))
        .contains("acmeEabRequired: \"true\"").contains("acmePermittedIps: \"10.0.0.0/8\"")
        .contains("permittedIps: \"10.0.0.0/8,fd00::/8\"");
  }

  @Test
  @SuppressWarnings("unchecked")
  void the_rendered_configuration_files_are_accepted_by_the_server_and_the_agent() throws Exception {
    var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
    for (TemplateCommand t : List.of(template(), template().set("agent.namespaces[0]", "web").set("acme.permittedIps[0]", "10.0.0.0/8").set("permittedIps[0]", "10.0.0.0/8")
        .set("agent.proxy.inbound[0].name", "in").set("agent.proxy.inbound[0].listen", "0.0.0.0:15443")
        .set("agent.proxy.inbound[0].backend", "127.0.0.1:8080").set("agent.proxy.inbound[0].identity", "spiffe://rotor.local/ns/web/sa/a")
        .set("agent.proxy.inbound[0].allow[0]", "spiffe://rotor.local/ns/web/*"))) {
      List<HasMetadata> objects = parse(t.call());
      Map<String, Object> server = yaml.readValue(one(objects, ConfigMap.class, "rotor-server").getData().get("rotor.yaml"), Map.class);
      var config = dev.rotor.server.ServerConfig.fromMap(server);
      assertThat(config.trustDomain()).isEqualTo("rotor.local");
      assertThat(config.agents().namespace()).isEqualTo("rotor-system");
      assertThat(config.agents().serviceAccount()).isEqualTo("rotor-agent");
      assertThat(config.profiles().get("workload").maxTtl()).isEqualTo(java.time.Duration.ofMinutes(15));
      assertThat(config.hostnames()).contains("rotor-server.rotor-system.svc");

      Map<String, Object> agent = new java.util.LinkedHashMap<>(
          yaml.readValue(one(objects, ConfigMap.class, "rotor-agent").getData().get("agent.yaml"), Map.class));
      Path bundle = Files.createTempFile("bundle", ".pem");
      agent.put("caBundle", bundle.toString()); // mounted from the rotor-ca-bundle ConfigMap in the pod
      var agentConfig = dev.rotor.agent.AgentConfig.fromMap(agent, Map.of("NODE_NAME", "node-1", "KUBERNETES_SERVICE_HOST", "10.0.0.1"));
      assertThat(agentConfig.server().toString()).isEqualTo("https://rotor-server.rotor-system.svc:8443");
      assertThat(agentConfig.kubernetes()).isTrue();
    }
  }

  /** The rules that apply to a ServiceAccount, through ClusterRoleBindings and RoleBindings. */
  static List<PolicyRule> rulesFor(List<HasMetadata> objects, String serviceAccount) {
    List<PolicyRule> rules = new ArrayList<>();
    for (ClusterRoleBinding b : all(objects, ClusterRoleBinding.class)) {
      if (bindsTo(b.getSubjects(), serviceAccount)) {
        rules.addAll(one(objects, ClusterRole.class, b.getRoleRef().getName()).getRules());
      }
    }
    for (RoleBinding b : all(objects, RoleBinding.class)) {
      if (bindsTo(b.getSubjects(), serviceAccount)) {
        if (b.getRoleRef().getKind().equals("Role")) {
          rules.addAll(one(objects, Role.class, b.getRoleRef().getName()).getRules());
        } else {
          rules.addAll(one(objects, ClusterRole.class, b.getRoleRef().getName()).getRules());
        }
      }
    }
    return rules;
  }

  static boolean bindsTo(List<Subject> subjects, String sa) {
    return subjects.stream().anyMatch(s -> s.getKind().equals("ServiceAccount") && s.getName().equals(sa));
  }

  static boolean granted(List<PolicyRule> rules, String group, String resource, Set<String> verbs) {
    return verbs.stream().allMatch(verb -> rules.stream().anyMatch(r ->
        r.getApiGroups().contains(group) && r.getResources().contains(resource) && r.getVerbs().contains(verb)));
  }

  @Test
  void rbac_grants_every_kubernetes_call_the_server_and_the_agent_make_and_nothing_broader() {
    List<HasMetadata> objects = parse(template().call());
    List<PolicyRule> server = rulesFor(objects, "rotor-server");
    for (var call : dev.rotor.server.k8s.KubernetesCalls.SERVER) {
      assertThat(granted(server, call.group(), call.resource(), call.verbs()))
          .as("server: %s %s/%s (%s)", call.verbs(), call.group(), call.resource(), call.usedBy()).isTrue();
    }
    List<PolicyRule> agent = rulesFor(objects, "rotor-agent");
    for (var call : dev.rotor.agent.KubernetesCalls.AGENT) {
      assertThat(granted(agent, call.group(), call.resource(), call.verbs()))
          .as("agent: %s %s/%s (%s)", call.verbs(), call.group(), call.resource(), call.usedBy()).isTrue();
    }
    // Least privilege: no wildcards, and the agent cannot create or delete Secrets.
    Stream.concat(server.stream(), agent.stream()).forEach(r -> {
      assertThat(r.getVerbs()).doesNotContain("*");
      assertThat(r.getResources()).doesNotContain("*");
    });
    assertThat(granted(agent, "", "secrets", Set.of("create"))).isFalse();
    assertThat(granted(agent, "", "secrets", Set.of("delete"))).isFalse();
  }

  @Test
  void bad_values_fail_with_the_schemas_message() {
    assertThatThrownBy(() -> template().set("database.url", "").set("server.replicas", 2).call())
        .hasMessageContaining("replicas").hasMessageContaining("1");
    assertThatThrownBy(() -> template().set("trustDomain", "").call())
        .hasMessageContaining("trustDomain");
    assertThatThrownBy(() -> template().set("trustDomain", "Not_A Domain").call())
        .hasMessageContaining("trustDomain");
    assertThatThrownBy(() -> template().set("ttl.workload.max", "fifteen minutes").call())
        .hasMessageContaining("ttl.workload.max");
    assertThatThrownBy(() -> template().set("database.url", "mysql://nope").call())
        .hasMessageContaining("database.url");
    assertThatThrownBy(() -> template().set("permittedIps[0]", "corp.example").call())
        .hasMessageContaining("permittedIps");
  }

  @Test
  void the_crds_parse_as_custom_resource_definitions() throws Exception {
    Path crds = CHART.resolve("crds");
    List<Path> files;
    try (Stream<Path> s = Files.list(crds)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(f), CustomResourceDefinition.class);
      assertThat(crd.getSpec().getGroup()).isEqualTo("rotor.dev");
      assertThat(crd.getSpec().getVersions()).anySatisfy(v -> assertThat(v.getName()).isEqualTo("v1alpha1"));
    }
  }

}
