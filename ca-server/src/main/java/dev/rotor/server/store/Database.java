package dev.rotor.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL the server records everything in: an external server when a JDBC URL is given,
 * otherwise a real PostgreSQL started in {@code <dataDir>/postgres} and stopped with the server.
 * Either way Flyway brings the schema up to date from {@code db/migrations} (packaged into the jar
 * as {@code classpath:db/migration}) before anything else touches it.
 */
public final class Database implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final EmbeddedPostgres embedded;
  private final HikariDataSource pool;

  private Database(EmbeddedPostgres embedded, HikariDataSource pool) {
    this.embedded = embedded;
    this.pool = pool;
  }

  /** Connection settings; {@code url} empty means "start the embedded PostgreSQL in dataDir". */
  public record Settings(Optional<String> url, Optional<String> user, Optional<String> password, Path dataDir, int poolSize) {}

  public static Database open(Settings settings, MeterRegistry meters) throws IOException {
    EmbeddedPostgres embedded = null;
    String url;
    String user;
    String password;
    if (settings.url().isPresent()) {
      url = settings.url().get();
      user = settings.user().orElse(null);
      password = settings.password().orElse(null);
      log.info("using external postgresql url={}", redact(url));
    } else {
      Path pgData = settings.dataDir().resolve("postgres");
      Files.createDirectories(pgData);
      long t0 = System.nanoTime();
      embedded = EmbeddedPostgres.builder()
          .setDataDirectory(pgData)
          .setCleanDataDirectory(false)
          .setPGStartupWait(Duration.ofSeconds(60))
          // The library defaults to fsync=off and synchronous_commit=off (fine for throwaway test
          // databases, fatal for a CA). Turn durability back on; group commit keeps it fast.
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on")
          .setServerConfig("max_connections", "100")
          .setServerConfig("shared_buffers", "128MB")
          .setServerConfig("wal_level", "minimal")
          .setServerConfig("max_wal_senders", "0")
          .setServerConfig("listen_addresses", "127.0.0.1")
          .start();
      url = embedded.getJdbcUrl("postgres", "postgres");
      user = "postgres";
      password = null;
      log.info("embedded postgresql started dir={} port={} ms={}", pgData, embedded.getPort(), (System.nanoTime() - t0) / 1_000_000);
    }
    try {
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(url);
      if (user != null) {
        hc.setUsername(user);
      }
      if (password != null) {
        hc.setPassword(password);
      }
      hc.setPoolName("rotor");
      hc.setMaximumPoolSize(settings.poolSize());
      hc.setMinimumIdle(Math.min(4, settings.poolSize()));
      hc.setConnectionTimeout(5_000);
      hc.setValidationTimeout(2_000);
      // Start even if the database is down; requests fail with 503 until it is back.
      hc.setInitializationFailTimeout(-1);
      hc.addDataSourceProperty("reWriteBatchedInserts", "true");
      hc.addDataSourceProperty("tcpKeepAlive", "true");
      hc.addDataSourceProperty("socketTimeout", "30");
      hc.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
      HikariDataSource pool = new HikariDataSource(hc);
      Flyway.configure()
          .dataSource(pool)
          .locations("classpath:db/migration")
          .load()
          .migrate();
      return new Database(embedded, pool);
    } catch (RuntimeException e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  public DataSource dataSource() {
    return pool;
  }

  public Connection connection() throws SQLException {
    return pool.getConnection();
  }

  /** True when a connection can be had and answers within two seconds. */
  public boolean isReachable() {
    try (Connection c = pool.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    pool.close();
    if (embedded != null) {
      embedded.close();
      log.info("embedded postgresql stopped");
    }
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
