package dev.rotor.agent;

import java.util.List;
import java.util.Set;

/**
 * Every Kubernetes API call the agent makes, as RBAC sees it: the chart's rules for the agent's
 * ServiceAccount must grant each (a chart test asserts it). Keep this list next to the code that
 * makes the calls ({@code sink.SecretSink}).
 */
public final class KubernetesCalls {

  /** One RBAC rule: API group ({@code ""} = core), resource, verbs, and where the call is made. */
  public record Call(String group, String resource, Set<String> verbs, String usedBy) {}

  public static final List<Call> AGENT = List.of(
      new Call("", "pods", Set.of("list", "watch"), "sink.SecretSink (this node's pods, field selector spec.nodeName)"),
      new Call("", "secrets", Set.of("list", "watch"), "sink.SecretSink (informer over annotated Secrets)"),
      new Call("", "secrets", Set.of("get", "update"), "sink.SecretSink (read before write, resourceVersion-checked update)"));

  private KubernetesCalls() {}
}
