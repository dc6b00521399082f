package dev.rotor.server.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.SpiffeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The workload identities of agents outside Kubernetes (join-token nodes), from a YAML file
 * ({@code ROTOR_STATIC_POLICY}):
 *
 * <pre>
 * nodes:
 *   node-a: ["spiffe://rotor.local/ns/payments/sa/api", "spiffe://rotor.local/ns/web/*"]
 * </pre>
 *
 * An entry is an exact SPIFFE ID, or a prefix ending in {@code /*} that covers every ID below it
 * (at a segment boundary: {@code .../ns/web/*} covers {@code .../ns/web/sa/x}, not {@code .../ns/webx/...}).
 */
public final class StaticPolicy implements WorkloadPolicy {

  private record Rule(String exact, String prefix) {
    boolean matches(String id) {
      return exact != null ? exact.equals(id) : id.startsWith(prefix);
    }
  }

  private final Map<String, List<Rule>> nodes;

  private StaticPolicy(Map<String, List<Rule>> nodes) {
    this.nodes = nodes;
  }

  /** Reads and checks the file; every problem names the file and the entry. */
  public static StaticPolicy load(Path file, String trustDomain) throws IOException {
    Object parsed;
    try {
      parsed = new ObjectMapper(new YAMLFactory()).readValue(Files.readString(file), Object.class);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read the static policy: " + e.getMessage(), e);
    }
    return parse(parsed, file.toString(), trustDomain);
  }

  static StaticPolicy parse(Object parsed, String source, String trustDomain) {
    if (!(parsed instanceof Map<?, ?> top) || !top.keySet().equals(java.util.Set.of("nodes"))
        || !(top.get("nodes") instanceof Map<?, ?> nodeMap)) {
      throw new IllegalArgumentException(source + ": expected a mapping with one key, nodes: {<node>: [<spiffe id or prefix/*>, ...]}");
    }
    Map<String, List<Rule>> nodes = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : nodeMap.entrySet()) {
      String node = String.valueOf(e.getKey());
      if (!AgentIds.isValidNode(node)) {
        throw new IllegalArgumentException(source + ": node " + node + " is not a valid node name");
      }
      if (!(e.getValue() instanceof List<?> entries)) {
        throw new IllegalArgumentException(source + ": node " + node + ": expected a list of SPIFFE IDs");
      }
      List<Rule> rules = new ArrayList<>();
      for (Object o : entries) {
        rules.add(rule(String.valueOf(o), source, node, trustDomain));
      }
      nodes.put(node, List.copyOf(rules));
    }
    return new StaticPolicy(Map.copyOf(nodes));
  }

  private static Rule rule(String entry, String source, String node, String trustDomain) {
    boolean prefix = entry.endsWith("/*");
    String id = prefix ? entry.substring(0, entry.length() - 2) : entry;
    SpiffeId parsed;
    try {
      parsed = SpiffeId.parse(id);
    } catch (PkiException ex) {
      throw new IllegalArgumentException(source + ": node " + node + ": " + ex.getMessage());
    }
    if (!parsed.trustDomain().equals(trustDomain)) {
      throw new IllegalArgumentException(source + ": node " + node + ": " + entry + " is not in the trust domain " + trustDomain);
    }
    if (!parsed.path().startsWith("/ns/") && !(prefix && parsed.path().equals("/ns"))) {
      throw new IllegalArgumentException(source + ": node " + node + ": " + entry + " is not a workload identity (spiffe://"
          + trustDomain + "/ns/...)");
    }
    return prefix ? new Rule(null, id + "/") : new Rule(id, null);
  }

  @Override
  public Decision decide(String node, SpiffeId id) {
    String s = id.toString();
    for (Rule r : nodes.getOrDefault(node, List.of())) {
      if (r.matches(s)) {
        return Decision.allow("static policy");
      }
    }
    return Decision.deny("the static policy does not give node " + node + " the identity " + s);
  }
}
