package dev.rotor.server.agent;

import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attests an agent by its projected ServiceAccount token: the Kubernetes TokenReview API must
 * find it authenticated, for our audience, for the agents' ServiceAccount, bound to a pod; the
 * node is the one that pod runs on.
 */
public final class KubernetesAttestor {

  private static final Logger log = LoggerFactory.getLogger(KubernetesAttestor.class);
  static final String NODE_NAME = "authentication.kubernetes.io/node-name";
  static final String POD_NAME = "authentication.kubernetes.io/pod-name";
  static final String POD_UID = "authentication.kubernetes.io/pod-uid";
  private static final int MAX_TOKEN = 16 * 1024;

  private final KubernetesClient client;
  private final String namespace;
  private final String serviceAccount;
  private final String audience;

  public KubernetesAttestor(KubernetesClient client, String namespace, String serviceAccount, String audience) {
    this.client = client;
    this.namespace = namespace;
    this.serviceAccount = serviceAccount;
    this.audience = audience;
  }

  /** The attested agent: its node and the ServiceAccount user that vouched for it. */
  public record Attested(String node, String username) {}

  /** Reviews the token; UNAUTHENTICATED with the reason when it does not qualify, UNAVAILABLE when Kubernetes cannot answer. */
  public Attested attest(String token) {
    if (token == null || token.isBlank() || token.length() > MAX_TOKEN) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "a ServiceAccount token is required");
    }
    TokenReview review;
    try {
      review = client.authentication().v1().tokenReviews().create(new TokenReviewBuilder()
          .withNewSpec().withToken(token).withAudiences(audience).endSpec().build());
    } catch (KubernetesClientException e) {
      log.warn("TokenReview failed code={} error={}", e.getCode(), e.getMessage());
      throw new RotorException(ErrorCode.UNAVAILABLE, "the Kubernetes TokenReview API did not answer");
    }
    TokenReviewStatus status = review == null ? null : review.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String why = status == null || status.getError() == null ? "not authenticated" : status.getError();
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the ServiceAccount token was refused by Kubernetes: " + why);
    }
    List<String> audiences = status.getAudiences();
    if (audiences == null || !audiences.contains(audience)) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the ServiceAccount token is not for the audience " + audience);
    }
    String expected = "system:serviceaccount:" + namespace + ":" + serviceAccount;
    String username = status.getUser() == null ? null : status.getUser().getUsername();
    if (!expected.equals(username)) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the token belongs to " + username + ", not to the agent service account "
          + namespace + "/" + serviceAccount);
    }
    Map<String, List<String>> extra = status.getUser().getExtra() == null ? Map.of() : status.getUser().getExtra();
    Optional<String> node = first(extra, NODE_NAME);
    if (node.isEmpty()) {
      node = nodeOfPod(first(extra, POD_NAME), first(extra, POD_UID));
    }
    String n = node.orElseThrow(() -> new RotorException(ErrorCode.UNAUTHENTICATED,
        "the token is not bound to a pod on a node (use a projected ServiceAccount token)"));
    if (!AgentIds.isValidNode(n)) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the token's node name is not a valid node name");
    }
    return new Attested(n, username);
  }

  private Optional<String> nodeOfPod(Optional<String> podName, Optional<String> podUid) {
    if (podName.isEmpty() || podUid.isEmpty()) {
      return Optional.empty();
    }
    Pod pod;
    try {
      pod = client.pods().inNamespace(namespace).withName(podName.get()).get();
    } catch (KubernetesClientException e) {
      log.warn("pod lookup failed pod={} error={}", podName.get(), e.getMessage());
      throw new RotorException(ErrorCode.UNAVAILABLE, "the Kubernetes API did not answer the pod lookup");
    }
    if (pod == null || pod.getMetadata() == null || !podUid.get().equals(pod.getMetadata().getUid())) {
      throw new RotorException(ErrorCode.UNAUTHENTICATED, "the pod the token is bound to no longer exists");
    }
    return Optional.ofNullable(pod.getSpec() == null ? null : pod.getSpec().getNodeName());
  }

  private static Optional<String> first(Map<String, List<String>> extra, String key) {
    List<String> v = extra.get(key);
    return v == null || v.isEmpty() || v.get(0) == null || v.get(0).isBlank() ? Optional.empty() : Optional.of(v.get(0));
  }
}
