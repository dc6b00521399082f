package dev.rotor.load;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code rotor-load fleet-policy}: writes the static policy file the server needs for a
 * {@code renew-fleet} run ({@code ROTOR_STATIC_POLICY}).
 */
final class FleetPolicyCommand {

  static final String USAGE =
      """
      usage: rotor-load fleet-policy --agents N [--trust-domain TD] --out FILE

      Writes the server's static policy for a renew-fleet run: node fleet-<i> may obtain
      spiffe://<td>/ns/fleet-<i>/*, for i in 0..N-1. Start the server with
      ROTOR_STATIC_POLICY=FILE (and the same trust domain, ROTOR_TRUST_DOMAIN).

        --agents N            number of agents (the same as renew-fleet --agents)
        --trust-domain TD     SPIFFE trust domain (default rotor.local)
        --out FILE            where to write the YAML ('-' for standard output)
      """;

  private FleetPolicyCommand() {}

  static int run(String[] args, PrintStream out) throws UsageException, IOException {
    CommandLine given = CommandLine.parse(args, Set.of("agents", "trust-domain", "out"));
    int agents = given.integer("agents", 0, 1, 1_000_000);
    if (!given.has("agents")) {
      throw new UsageException("--agents is required");
    }
    String trustDomain = given.trustDomain();
    String target = given.required("out", null);
    if (target.equals("-")) {
      Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
      FleetPolicy.write(w, agents, trustDomain);
      w.flush();
      return 0;
    }
    Path file = Path.of(target);
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      FleetPolicy.write(w, agents, trustDomain);
    }
    out.printf("wrote %s: %d nodes fleet-0..fleet-%d, trust domain %s;"
        + " start the server with ROTOR_STATIC_POLICY=%s%n", file, agents, agents - 1,
        trustDomain, file);
    return 0;
  }
}
