package dev.rotor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A keyCompromise revocation blocks the certificate's key for every later issuance (CA/Browser
 * Forum BR §6.1.1.3(4); Boulder's TestRevokeWithKeyCompromiseBlocksKey), across a restart; other
 * reasons block nothing.
 */
class KeyBlocklistIT {

  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String spiffe(String sa) {
    return "URI:spiffe://rotor.local/ns/keys/sa/" + sa;
  }

  String issue(KeyPair key, String sa) throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.pem(key, spiffe(sa)), "workload", 600);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("serial").asText();
  }

  void revoke(String serial, String reason) throws Exception {
    TestServer.Reply r = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN, Map.of("reason", reason));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  void assertRefused(KeyPair key, String sa) throws Exception {
    long certs = server.count("SELECT count(*) FROM certificates");
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.pem(key, spiffe(sa)), "workload", 600);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    JsonNode p = r.json();
    assertThat(p.get("type").asText()).isEqualTo("urn:rotor:problem:bad-public-key");
    assertThat(p.get("detail").asText()).contains("reported compromised");
    assertThat(server.count("SELECT count(*) FROM certificates")).isEqualTo(certs);
  }

  static String blockedBy(String serial) throws Exception {
    try (Connection c = server.sql();
        PreparedStatement ps = c.prepareStatement("SELECT spki_sha256 FROM blocked_keys WHERE source_serial = ?")) {
      ps.setString(1, serial);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? HexFormat.of().formatHex(rs.getBytes(1)) : null;
      }
    }
  }

  @Test
  void key_compromise_blocks_the_key_for_every_later_request() throws Exception {
    KeyPair k = Csrs.ec("secp256r1");
    String serial = issue(k, "one");
    revoke(serial, "keyCompromise");

    // Recorded with the revocation, and the audit entry names the blocked key.
    String fingerprint = blockedBy(serial);
    assertThat(fingerprint).hasSize(64);
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificate.revoked' AND target = '" + serial
        + "' AND details LIKE '%" + fingerprint + "%'")).isEqualTo(1);

    // The same key, new names, a new CSR: refused at once, nothing stored.
    assertRefused(k, "one");
    assertRefused(k, "another");
    // An RSA key is blocked the same way.
    KeyPair rsa = Csrs.rsa(2048);
    revoke(issue(rsa, "rsa"), "keyCompromise");
    assertRefused(rsa, "rsa");

    // Other keys still issue.
    issue(Csrs.ec("secp256r1"), "one");

    // Loaded from the table when the server starts (the in-memory set is not the record).
    server.stop();
    server.startAgain();
    assertRefused(k, "after-restart");
    assertRefused(rsa, "after-restart");
    issue(Csrs.ec("secp256r1"), "after-restart");
  }

  @Test
  void other_reasons_do_not_block_the_key() throws Exception {
    KeyPair k = Csrs.ec("secp256r1");
    String serial = issue(k, "superseded");
    revoke(serial, "superseded");
    assertThat(blockedBy(serial)).isNull();
    revoke(issue(k, "superseded"), "cessationOfOperation");
    issue(k, "superseded");
  }

  @Test
  void a_later_key_compromise_revocation_upgrades_the_reason_and_blocks_the_key() throws Exception {
    KeyPair k = Csrs.ec("secp256r1");
    String serial = issue(k, "upgrade");
    revoke(serial, "superseded");
    long seqBefore = server.count("SELECT revocation_seq FROM certificates WHERE serial = '" + serial + "'");
    String revokedAtBefore = revokedAt(serial);

    // The same reason again, or any reason but keyCompromise: 409, nothing changes.
    TestServer.Reply again = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN,
        Map.of("reason", "cessationOfOperation"));
    assertThat(again.status()).as(again.body()).isEqualTo(409);
    assertThat(blockedBy(serial)).isNull();

    revoke(serial, "keyCompromise");
    assertThat(blockedBy(serial)).hasSize(64);
    assertThat(server.count("SELECT count(*) FROM certificates WHERE serial = '" + serial
        + "' AND revocation_reason = 'keyCompromise'")).isEqualTo(1);
    // The revocation time stays; the sequence moves so CRLs and the revocation feed see the change.
    assertThat(revokedAt(serial)).isEqualTo(revokedAtBefore);
    assertThat(server.count("SELECT revocation_seq FROM certificates WHERE serial = '" + serial + "'")).isGreaterThan(seqBefore);
    assertThat(server.count("SELECT count(*) FROM audit_log WHERE action = 'certificate.revoked' AND target = '" + serial
        + "' AND details LIKE '%\"previousReason\":\"superseded\"%'")).isEqualTo(1);
    assertRefused(k, "upgrade");

    // keyCompromise a second time: already revoked for that reason.
    TestServer.Reply twice = server.post("/api/v1/certificates/" + serial + "/revoke", TestServer.ADMIN_TOKEN,
        Map.of("reason", "keyCompromise"));
    assertThat(twice.status()).as(twice.body()).isEqualTo(409);
    assertThat(server.count("SELECT count(*) FROM blocked_keys WHERE source_serial = '" + serial + "'")).isEqualTo(1);
  }

  static String revokedAt(String serial) throws Exception {
    try (Connection c = server.sql();
        PreparedStatement ps = c.prepareStatement("SELECT revoked_at FROM certificates WHERE serial = ?")) {
      ps.setString(1, serial);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getTimestamp(1).toInstant().toString();
      }
    }
  }
}
