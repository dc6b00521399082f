package dev.rotor.server.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The RBAC list covers what the controller's code touches (the chart's RBAC test reads the same list). */
class KubernetesCallsTest {

  private static Set<String> verbs(String group, String resource) {
    return KubernetesCalls.SERVER.stream().filter(c -> c.group().equals(group) && c.resource().equals(resource))
        .flatMap(c -> c.verbs().stream()).collect(java.util.stream.Collectors.toSet());
  }

  @Test
  void everyWatchedResourceAndItsStatusAreListed() {
    for (ResourceDefinitionContext r : List.of(Resources.CERTIFICATE_REQUESTS, Resources.ISSUERS, Resources.CLUSTER_ISSUERS)) {
      assertThat(verbs(r.getGroup(), r.getPlural())).as(r.getPlural()).contains("list", "watch");
      assertThat(verbs(r.getGroup(), r.getPlural() + "/status")).as(r.getPlural() + "/status").contains("update");
    }
    assertThat(verbs("", "events")).contains("create");
    assertThat(verbs("coordination.k8s.io", "leases")).contains("get", "create", "update");
    assertThat(verbs("authentication.k8s.io", "tokenreviews")).contains("create");
    assertThat(verbs("", "pods")).contains("list", "watch");
  }

  @Test
  void noWildcards() {
    assertThat(KubernetesCalls.SERVER).allSatisfy(c -> {
      assertThat(c.resource()).doesNotContain("*");
      assertThat(c.verbs()).doesNotContain("*");
    });
  }
}
