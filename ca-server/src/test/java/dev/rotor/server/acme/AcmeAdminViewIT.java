package dev.rotor.server.acme;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.TestServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.util.KeyPairUtils;

/** The admin UI's view of ACME: accounts and orders as acme4j left them, with their state. */
class AcmeAdminViewIT {

  static TestServer server;
  static Session session;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("ROTOR_PERMITTED_DNS", "test,localhost"));
    session = AcmeClients.session(server, "acme");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void accounts_and_orders_are_listed_with_their_state() throws Exception {
    Account account = new AccountBuilder().agreeToTermsOfService().addEmail("ops@view.test")
        .useKeyPair(KeyPairUtils.createECKeyPair("secp256r1")).create(session);
    Order order = account.newOrder().domains("www.view.test", "api.view.test").create();

    JsonNode accounts = server.get("/api/v1/acme/accounts", TestServer.ADMIN_TOKEN).json().get("items");
    JsonNode mine = null;
    for (JsonNode a : accounts) {
      if (a.get("contact").toString().contains("mailto:ops@view.test")) {
        mine = a;
      }
    }
    assertThat(mine).isNotNull();
    assertThat(mine.get("status").asText()).isEqualTo("valid");
    assertThat(mine.get("orders").asLong()).isEqualTo(1);
    long id = mine.get("id").asLong();

    JsonNode orders = server.get("/api/v1/acme/orders?account=" + id, TestServer.ADMIN_TOKEN).json().get("items");
    assertThat(orders).hasSize(1);
    assertThat(orders.get(0).get("status").asText()).isEqualTo(order.getStatus().name().toLowerCase());
    assertThat(orders.get(0).get("identifiers").toString()).contains("www.view.test").contains("api.view.test");
    assertThat(server.get("/api/v1/acme/orders?status=valid&account=" + id, TestServer.ADMIN_TOKEN).json().get("items")).isEmpty();
    assertThat(server.get("/api/v1/acme/orders?status=bogus", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/acme/orders?account=x", TestServer.ADMIN_TOKEN).status()).isEqualTo(400);
    assertThat(server.get("/api/v1/acme/accounts", null).status()).isEqualTo(401);
  }

  @Test
  void acme_switched_off_serves_no_directory() throws Exception {
    try (TestServer off = TestServer.start(Map.of("ROTOR_ACME_ENABLED", "false"))) {
      assertThat(off.send("GET", "/acme/acme/directory", null, null, null).status()).isEqualTo(404);
      assertThat(server.send("GET", "/acme/acme/directory", null, null, null).status()).isEqualTo(200);
    }
  }
}
