package dev.rotor.server.lint;

import dev.rotor.pki.CertificateLint;
import dev.rotor.pki.Pem;
import dev.rotor.pki.PkiException;
import dev.rotor.pki.Profile;
import dev.rotor.pki.Serials;
import dev.rotor.pki.SubjectNames;
import dev.rotor.server.Metrics;
import dev.rotor.server.issuance.IssuanceService;
import dev.rotor.server.store.CertificateRecord;
import dev.rotor.server.store.PgCertificateStore;
import java.net.InetAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checker job: re-reads stored certificates and verifies each against its row and the rules.
 *
 * <p>For every row: the DER parses; its serial, notBefore, notAfter, SANs and issuer equal the
 * row's; the signature verifies with the issuing CA's key (from {@code certificate_authorities});
 * and the certificate passes {@link CertificateLint} for its profile. Problems are logged, counted
 * ({@code rotor_stored_certificate_mismatches{kind}}) and kept (the last {@value #KEEP}) for
 * {@code GET /api/v1/ca/check}.
 *
 * <p>It reads forward by id (keyset pages of {@value #PAGE}, at most {@value #MAX_PER_PASS} rows
 * per pass) from the oldest certificate still valid when the server starts, so every unexpired certificate and every later one is checked once per process; a
 * restart starts over at the unexpired ones. A pass runs every {@link #INTERVAL}, and on demand.
 * Tampering with a row after it was checked is found by the next process, not this one.
 */
public final class StoredCertificateChecker implements AutoCloseable {

  /** Time between passes. */
  public static final Duration INTERVAL = Duration.ofMinutes(5);
  static final int PAGE = 500;
  static final int MAX_PER_PASS = 20_000;
  static final int KEEP = 100;

  private static final Logger log = LoggerFactory.getLogger(StoredCertificateChecker.class);

  /** One problem with one stored certificate. */
  public record Mismatch(String serial, long id, String kind, String detail, Instant foundAt) {}

  /** What the job has done so far. */
  public record Report(long checked, long mismatches, long cursor, Instant lastPass, List<Mismatch> recent) {}

  private final PgCertificateStore store;
  private final IssuanceService issuance;
  private final Metrics metrics;
  private final Clock clock;
  private final Map<Integer, Optional<Issuer>> issuers = new HashMap<>();
  private final Deque<Mismatch> recent = new ArrayDeque<>();
  private ScheduledExecutorService timer;
  private long cursor = -1;
  private long checked;
  private long mismatches;
  private Instant lastPass;

  private record Issuer(X509Certificate certificate, CertificateLint lint) {}

  public StoredCertificateChecker(PgCertificateStore store, IssuanceService issuance, Metrics metrics, Clock clock) {
    this.store = store;
    this.issuance = issuance;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Runs a pass every {@link #INTERVAL}, the first one after one interval. */
  public StoredCertificateChecker start() {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rotor-certificate-checker");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> {
      try {
        runPass();
      } catch (RuntimeException e) {
        log.warn("certificate check pass failed", e);
      }
    }, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Checks the rows after the cursor now (up to {@value #MAX_PER_PASS}) and returns the report. */
  public synchronized Report runPass() {
    if (cursor < 0) {
      // With nothing valid (in practice never: the server's own certificate is), from the start.
      java.util.OptionalLong first = store.firstUnexpiredId(clock.instant());
      cursor = first.isPresent() ? first.getAsLong() - 1 : 0;
    }
    int done = 0;
    while (done < MAX_PER_PASS) {
      List<CertificateRecord> page = store.pageAfter(cursor, PAGE);
      for (CertificateRecord row : page) {
        check(row);
        cursor = row.id();
      }
      done += page.size();
      if (page.size() < PAGE) {
        break;
      }
    }
    lastPass = clock.instant();
    return report();
  }

  /** The counts and the most recent problems. */
  public synchronized Report report() {
    return new Report(checked, mismatches, cursor, lastPass, List.copyOf(recent));
  }

  private void check(CertificateRecord row) {
    checked++;
    List<String[]> problems = problems(row);
    metrics.storedCheck(problems.isEmpty() ? "ok" : "mismatch");
    for (String[] p : problems) {
      mismatches++;
      metrics.storedMismatch(p[0]);
      log.error("stored certificate check failed serial={} id={} kind={} detail=\"{}\"", row.serial(), row.id(), p[0], p[1]);
      recent.addLast(new Mismatch(row.serial(), row.id(), p[0], p[1], clock.instant()));
      if (recent.size() > KEEP) {
        recent.removeFirst();
      }
    }
  }

  /** Each problem as {kind, detail}. */
  List<String[]> problems(CertificateRecord row) {
    List<String[]> out = new ArrayList<>();
    X509Certificate cert;
    try {
      cert = Pem.parseCertificate(row.der());
    } catch (PkiException | RuntimeException e) {
      out.add(new String[] {"unparseable", "the stored DER does not parse"});
      return out;
    }
    if (!Serials.toHex(cert.getSerialNumber()).equals(row.serial())) {
      out.add(new String[] {"serial", "the certificate's serial is " + Serials.toHex(cert.getSerialNumber())});
    }
    if (!cert.getNotBefore().toInstant().equals(row.notBefore())) {
      out.add(new String[] {"not-before", "the certificate's notBefore is " + cert.getNotBefore().toInstant()
          + ", the row's " + row.notBefore()});
    }
    if (!cert.getNotAfter().toInstant().equals(row.notAfter())) {
      out.add(new String[] {"not-after", "the certificate's notAfter is " + cert.getNotAfter().toInstant()
          + ", the row's " + row.notAfter()});
    }
    List<String> sans = sansOf(cert);
    if (sans == null || !sameNames(sans, row.sans())) {
      out.add(new String[] {"sans", "the certificate's SANs " + sans + " differ from the row's " + row.sans()});
    }
    Optional<Issuer> issuer = issuer(row.issuerId());
    if (issuer.isEmpty()) {
      out.add(new String[] {"issuer", "issuer " + row.issuerId() + " is not a recorded CA"});
      return out;
    }
    X509Certificate ca = issuer.get().certificate();
    if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      out.add(new String[] {"issuer", "the certificate's issuer is not CA " + row.issuerId()});
    }
    try {
      cert.verify(ca.getPublicKey());
    } catch (Exception e) {
      out.add(new String[] {"signature", "the signature does not verify with CA " + row.issuerId()});
    }
    Profile profile = issuance.profileNamed(row.profile());
    if (profile == null) {
      out.add(new String[] {"profile", "profile " + row.profile() + " is not configured"});
      return out;
    }
    for (CertificateLint.Finding f : issuer.get().lint()
        .findingsOfCertificate(row.der(), issuance.lintExpectation(profile, row.issuerId()))) {
      out.add(new String[] {"lint", f.toString()});
    }
    return out;
  }

  private Optional<Issuer> issuer(int id) {
    return issuers.computeIfAbsent(id, k -> store.caCertificate(k).flatMap(der -> {
      try {
        X509Certificate c = Pem.parseCertificate(der);
        return Optional.of(new Issuer(c, new CertificateLint(c)));
      } catch (PkiException | RuntimeException e) {
        return Optional.empty();
      }
    }));
  }

  /** The SANs as the row stores them ({@link SubjectNames#asStrings()}); null when unreadable. */
  private static List<String> sansOf(X509Certificate cert) {
    try {
      Collection<List<?>> names = cert.getSubjectAlternativeNames();
      List<String> dns = new ArrayList<>();
      List<InetAddress> ips = new ArrayList<>();
      List<URI> uris = new ArrayList<>();
      if (names != null) {
        for (List<?> n : names) {
          int tag = (Integer) n.get(0);
          String value = (String) n.get(1);
          switch (tag) {
            case 2 -> dns.add(value);
            case 7 -> ips.add(InetAddress.getByName(value));
            case 6 -> uris.add(URI.create(value));
            default -> {
              return null;
            }
          }
        }
      }
      return SubjectNames.of(dns, ips, uris).asStrings();
    } catch (Exception e) {
      return null;
    }
  }

  private static boolean sameNames(List<String> a, List<String> b) {
    return a.size() == b.size() && new HashSet<>(a).equals(new HashSet<>(b));
  }

  /** The report as JSON-ready maps. */
  public static Map<String, Object> toJson(Report r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("checked", r.checked());
    m.put("mismatches", r.mismatches());
    m.put("cursor", r.cursor());
    m.put("lastPass", r.lastPass() == null ? null : r.lastPass().toString());
    List<Map<String, Object>> recent = new ArrayList<>();
    for (Mismatch x : r.recent()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("serial", x.serial());
      e.put("kind", x.kind());
      e.put("detail", x.detail());
      e.put("foundAt", x.foundAt().toString());
      recent.add(e);
    }
    m.put("recent", recent);
    return m;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
