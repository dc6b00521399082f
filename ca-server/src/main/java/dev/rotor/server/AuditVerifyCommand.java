package dev.rotor.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.store.Database;
import dev.rotor.server.store.PgAuditLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code java -jar rotor-server.jar audit verify [--config rotor.yaml]}: checks the audit log's
 * hash chain (as {@code GET /api/v1/audit/verify} does) straight from the database, without a
 * running server or an API token, and prints the finding as JSON.
 *
 * <p>Exit status: 0 the chain is intact; 1 it is not (an entry edited, deleted or the tail
 * truncated); 2 bad configuration or usage; 3 the database cannot be reached. With
 * {@code ROTOR_DB_URL} it reads that database (read-only: no migration); without it, it starts
 * the embedded PostgreSQL in the data directory, which works only while the server is stopped.
 */
public final class AuditVerifyCommand {

  private AuditVerifyCommand() {}

  /** Whether {@code args} ask for this command ({@code audit verify ...}). */
  public static boolean matches(String[] args) {
    return args.length >= 2 && args[0].equals("audit") && args[1].equals("verify");
  }

  /** Runs the command on {@code args} after {@code audit verify}; returns the exit status. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    ServerConfig config;
    try {
      config = ServerConfig.load(args, env);
    } catch (Exception e) {
      err.println("rotor audit verify: bad configuration: " + e.getMessage());
      return 2;
    }
    PgAuditLog.Verification v;
    try {
      if (config.dbUrl().isPresent()) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(config.dbUrl().get());
        config.dbUser().ifPresent(ds::setUser);
        config.dbPassword().ifPresent(ds::setPassword);
        ds.setReadOnly(true);
        ds.setConnectTimeout(10);
        v = new PgAuditLog(ds).verify();
      } else {
        try (Database db = Database.open(new Database.Settings(config.dbUrl(), config.dbUser(), config.dbPassword(),
            config.dataDir(), 2), new SimpleMeterRegistry())) {
          v = new PgAuditLog(db.dataSource()).verify();
        }
      }
    } catch (RotorException e) {
      err.println("rotor audit verify: the database is unavailable: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()));
      return 3;
    } catch (Exception e) {
      err.println("rotor audit verify: the database is unavailable: " + e.getMessage());
      return 3;
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("ok", v.ok());
    result.put("entries", v.entries());
    v.firstBadSeq().ifPresent(s -> result.put("firstBadSeq", s));
    v.problem().ifPresent(s -> result.put("problem", s));
    try {
      out.println(new ObjectMapper().writeValueAsString(result));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return v.ok() ? 0 : 1;
  }
}
