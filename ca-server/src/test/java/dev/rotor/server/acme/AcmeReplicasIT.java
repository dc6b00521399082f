package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rotor.server.TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * Two replicas on one PostgreSQL serve the same account: an order made on one is validated,
 * finalized and downloaded through the other, and a nonce spent on one is refused by the other.
 */
class AcmeReplicasIT {

  @Test
  void twoReplicasShareAccountsOrdersAndNonces(@TempDir Path dir) throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).start();
         Responders.Http01 http = new Responders.Http01()) {
      Map<String, Object> shared = Map.of(
          "ROTOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
          "ROTOR_DB_USER", "postgres",
          "ROTOR_CA_PASSPHRASE", "shared-by-replicas",
          "ROTOR_PERMITTED_DNS", "test,localhost",
          "ROTOR_ACME_STATIC_HOSTS", "*.test=127.0.0.1",
          "ROTOR_ACME_HTTP01_PORT", http.port());
      try (TestServer a = TestServer.start(shared); TestServer b = TestServer.start(shared)) {
        KeyPair key = KeyPairUtils.createECKeyPair("secp256r1");
        Account onA = new AccountBuilder().agreeToTermsOfService().useKeyPair(key).create(AcmeClients.session(a, "acme"));
        Order order = onA.newOrder().domain("replica.a.test").create();

        Login onB = new AccountBuilder().onlyExisting().useKeyPair(key).createLogin(AcmeClients.session(b, "acme"));
        String portA = ":" + a.server().httpsPort() + "/";
        String portB = ":" + b.server().httpsPort() + "/";
        assertThat(onB.getAccountLocation().toString().replace(portB, portA)).isEqualTo(onA.getLocation().toString());
        Order sameOrder = onB.bindOrder(URI.create(order.getLocation().toString().replace(portA, portB)).toURL());
        Http01Challenge ch = sameOrder.getAuthorizations().get(0).findChallenge(Http01Challenge.class).orElseThrow();
        http.tokens.put(ch.getToken(), ch.getAuthorization());
        ch.trigger();
        assertThat(sameOrder.waitUntilReady(Duration.ofSeconds(30))).isEqualTo(Status.READY);
        sameOrder.execute(KeyPairUtils.createECKeyPair("secp256r1"));
        assertThat(sameOrder.waitForCompletion(Duration.ofSeconds(30))).isEqualTo(Status.VALID);

        order.fetch(); // back on A
        assertThat(order.getStatus()).isEqualTo(Status.VALID);
        order.getCertificate().download();
        assertThat(order.getCertificate().getCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=replica.a.test");

        // a nonce from A, spent on A, is refused on B
        AcmeClients.Raw rawA = new AcmeClients.Raw(a);
        String nonce = rawA.nonce();
        String urlA = rawA.base + "new-account";
        assertThat(rawA.post(urlA, rawA.jws("ES256", urlA, nonce, null, Map.of("termsOfServiceAgreed", true))).statusCode()).isEqualTo(201);
        AcmeClients.Raw rawB = new AcmeClients.Raw(b);
        String urlB = rawB.base + "new-account";
        HttpResponse<String> replay = rawB.post(urlB, rawB.jws("ES256", urlB, nonce, null, Map.of("termsOfServiceAgreed", true)));
        assertThat(AcmeClients.json(replay).get("type").asText()).isEqualTo("urn:ietf:params:acme:error:badNonce");
        // while a fresh nonce from A is good on B
        assertThat(rawB.post(urlB, rawB.jws("ES256", urlB, rawA.nonce(), null, Map.of("termsOfServiceAgreed", true))).statusCode())
            .isEqualTo(201);
      }
    }
  }
}
