package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rotor.server.TestServer;
import java.net.URI;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * Restart mid-order: a validation that failed its first attempt while the responder was not yet
 * serving is queued in PostgreSQL; the server stops, comes back (on a new port, same database),
 * retries it, and the order completes.
 */
class AcmeRestartIT {

  @Test
  void orderCompletesAfterRestart() throws Exception {
    try (Responders.Http01 http = new Responders.Http01();
         TestServer server = TestServer.start(Map.of(
             "ROTOR_PERMITTED_DNS", "test,localhost",
             "ROTOR_ACME_STATIC_HOSTS", "*.test=127.0.0.1",
             "ROTOR_ACME_HTTP01_PORT", http.port()))) {
      Session session = AcmeClients.session(server, "acme");
      KeyPair accountKey = KeyPairUtils.createECKeyPair("secp256r1");
      Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey).create(session);
      Order order = account.newOrder().domain("restart.a.test").create();
      Http01Challenge ch = order.getAuthorizations().get(0).findChallenge(Http01Challenge.class).orElseThrow();
      ch.trigger(); // the responder does not serve the token yet: the first attempt fails
      await().atMost(Duration.ofSeconds(20)).until(() -> server.count("SELECT count(*) FROM acme_challenges WHERE attempts >= 1"
          + " AND status = 'processing'") == 1);
      int oldPort = server.server().httpsPort();
      server.stop();

      http.tokens.put(ch.getToken(), ch.getAuthorization());
      server.startAgain();
      Session again = AcmeClients.session(server, "acme");
      Login login = new AccountBuilder().onlyExisting().useKeyPair(accountKey).createLogin(again);
      Order resumed = login.bindOrder(URI.create(order.getLocation().toString()
          .replace(":" + oldPort + "/", ":" + server.server().httpsPort() + "/")).toURL());
      assertThat(resumed.waitUntilReady(Duration.ofSeconds(60))).isEqualTo(Status.READY);
      resumed.execute(KeyPairUtils.createECKeyPair("secp256r1"));
      assertThat(resumed.waitForCompletion(Duration.ofSeconds(30))).isEqualTo(Status.VALID);
      resumed.getCertificate().download();
      assertThat(resumed.getCertificate().getCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=restart.a.test");
    }
  }
}
