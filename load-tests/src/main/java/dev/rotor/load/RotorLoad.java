package dev.rotor.load;

import dev.rotor.pki.CryptoProviders;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * Entry point of {@code rotor-load.jar}. Exit status: 0 when the run met its checks, 1 when it
 * found errors or missing certificates (or could not run), 2 for a bad command line.
 */
public final class RotorLoad {

  static final String USAGE =
      """
      usage: rotor-load <command> [options]

      commands:
        issue         closed-loop load on POST /api/v1/certificates (rotor-load issue --help)
        renew-fleet   a simulated agent fleet renewing its workloads over mTLS at the rate it
                      needs (rotor-load renew-fleet --help)
        herd          a fleet held back by a CA outage, then released at once: every agent
                      renews, honouring 429/503 + Retry-After (rotor-load herd --help)
        fleet-policy  the server's static policy for renew-fleet (rotor-load fleet-policy --help)
        taint-fleet   time from a CA taint to the last of a fleet's identities re-issued by the new CA
        proxy         the agent's mTLS data-plane proxy against nginx, with ab
                      (rotor-load proxy --help)
        crd           the CertificateRequest controller against a mock Kubernetes API server,
                      both in this process: approval-to-Ready latency (rotor-load crd --help)
        acme          complete ACME flows (order, http-01, finalize, download) with acme4j
                      (rotor-load acme --help)
        ceiling       only the ECDSA P-256 sign/verify ceiling of this machine, no server needed
      """;

  private RotorLoad() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System::getenv));
  }

  static int run(String[] args, PrintStream out, PrintStream err, Function<String, String> env) {
    if (args.length == 0) {
      err.print(USAGE);
      return 2;
    }
    if (isHelp(args[0])) {
      out.print(USAGE);
      return 0;
    }
    if (args[0].equals("ceiling")) {
      if (args.length > 1) {
        err.println("rotor-load ceiling: takes no options");
        return 2;
      }
      try {
        IssueCommand.ceiling(out, CryptoProviders.signing(),
            Runtime.getRuntime().availableProcessors(), IssueCommand.CEILING_WARMUP,
            IssueCommand.CEILING_EACH);
        return 0;
      } catch (Exception e) {
        err.println("rotor-load ceiling: " + describe(e));
        return 1;
      }
    }
    if (args[0].equals("renew-fleet")) {
      return renewFleet(Arrays.copyOfRange(args, 1, args.length), out, err, env);
    }
    if (args[0].equals("taint-fleet")) {
      return taintFleet(Arrays.copyOfRange(args, 1, args.length), out, err, env);
    }
    if (args[0].equals("herd")) {
      return herd(Arrays.copyOfRange(args, 1, args.length), out, err, env);
    }
    if (args[0].equals("fleet-policy")) {
      String[] rest = Arrays.copyOfRange(args, 1, args.length);
      if (Arrays.stream(rest).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
        out.print(FleetPolicyCommand.USAGE);
        return 0;
      }
      try {
        return FleetPolicyCommand.run(rest, out);
      } catch (UsageException e) {
        err.println("rotor-load fleet-policy: " + e.getMessage());
        err.println("(rotor-load fleet-policy --help lists the options)");
        return 2;
      } catch (Exception e) {
        err.println("rotor-load fleet-policy: " + describe(e));
        return 1;
      }
    }
    if (args[0].equals("crd")) {
      return crd(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args[0].equals("acme")) {
      return acme(Arrays.copyOfRange(args, 1, args.length), out, err, env);
    }
    if (args[0].equals("proxy")) {
      return proxy(Arrays.copyOfRange(args, 1, args.length), out, err, env);
    }
    if (!args[0].equals("issue")) {
      err.println("rotor-load: unknown command '" + args[0] + "'");
      err.print(USAGE);
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (Arrays.stream(rest).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print(IssueOptions.USAGE);
      return 0;
    }
    IssueOptions options;
    try {
      options = IssueOptions.parse(rest, env);
    } catch (UsageException e) {
      err.println("rotor-load issue: " + e.getMessage());
      err.println("(rotor-load issue --help lists the options)");
      return 2;
    }
    try {
      return new IssueCommand(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load issue: " + describe(e));
      return 1;
    }
  }

  private static int herd(String[] args, PrintStream out, PrintStream err, Function<String, String> env) {
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print(HerdCommand.USAGE);
      return 0;
    }
    HerdCommand.Options options;
    try {
      options = HerdCommand.Options.parse(args, env);
    } catch (UsageException e) {
      err.println("rotor-load herd: " + e.getMessage());
      err.println("(rotor-load herd --help lists the options)");
      return 2;
    }
    try {
      return new HerdCommand(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load herd: " + describe(e));
      return 1;
    }
  }

  private static int crd(String[] args, PrintStream out, PrintStream err) {
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print(CrdCommand.USAGE);
      return 0;
    }
    CrdCommand.Options options;
    try {
      options = CrdCommand.Options.parse(args);
    } catch (UsageException e) {
      err.println("rotor-load crd: " + e.getMessage());
      err.println("(rotor-load crd --help lists the options)");
      return 2;
    }
    try {
      return new CrdCommand(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load crd: " + describe(e));
      return 1;
    }
  }

  private static int taintFleet(String[] args, PrintStream out, PrintStream err, Function<String, String> env) {
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print("usage: rotor-load taint-fleet --url URL --token ADMIN_TOKEN [renew-fleet's options: --identities N --agents N"
          + " --ttl D --ca-bundle FILE ...]\n  taints the active intermediate (POST /api/v1/ca/taint) under a fleet that follows"
          + " the revocation feed and prints the time until the last identity is re-issued by the new CA.\n");
      return 0;
    }
    FleetOptions options;
    try {
      options = FleetOptions.parse(args, env);
    } catch (UsageException e) {
      err.println("rotor-load taint-fleet: " + e.getMessage());
      return 2;
    }
    try {
      return new TaintFleetCommand(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load taint-fleet: " + describe(e));
      return 1;
    }
  }

  private static int renewFleet(String[] args, PrintStream out, PrintStream err,
      Function<String, String> env) {
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print(FleetOptions.USAGE);
      return 0;
    }
    FleetOptions options;
    try {
      options = FleetOptions.parse(args, env);
    } catch (UsageException e) {
      err.println("rotor-load renew-fleet: " + e.getMessage());
      err.println("(rotor-load renew-fleet --help lists the options)");
      return 2;
    }
    try {
      return new RenewFleetCommand(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load renew-fleet: " + describe(e));
      return 1;
    }
  }

  private static int acme(String[] rest, PrintStream out, PrintStream err, Function<String, String> env) {
    if (Arrays.stream(rest).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print(AcmeCommand.USAGE);
      return 0;
    }
    AcmeCommand.Options options;
    try {
      options = AcmeCommand.Options.parse(rest, env);
    } catch (UsageException e) {
      err.println("rotor-load acme: " + e.getMessage());
      err.println("(rotor-load acme --help lists the options)");
      return 2;
    }
    try {
      return new AcmeCommand(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load acme: " + describe(e));
      return 1;
    }
  }

  private static int proxy(String[] rest, PrintStream out, PrintStream err, Function<String, String> env) {
    if (Arrays.stream(rest).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      out.print(ProxyBench.USAGE);
      return 0;
    }
    ProxyBench.Options options;
    try {
      options = ProxyBench.Options.parse(rest, env);
    } catch (UsageException e) {
      err.println("rotor-load proxy: " + e.getMessage());
      err.println("(rotor-load proxy --help lists the options)");
      return 2;
    }
    try {
      return new ProxyBench(options, out).run();
    } catch (Exception e) {
      err.println("rotor-load proxy: " + describe(e));
      return 1;
    }
  }

  /** The innermost cause, which is the one that says what happened (connection refused, ...). */
  static String describe(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException
        || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getClass().getSimpleName() + ": "
        + t.getMessage();
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h") || arg.equals("help");
  }
}
