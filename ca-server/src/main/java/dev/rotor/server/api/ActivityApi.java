package dev.rotor.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.store.PgActivityStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the ACME server and the CertificateRequest controller did, for the admin UI: ACME
 * accounts and orders with their state and errors, and CertificateRequests issued, failed or
 * denied (from the audit log, where each carries the request's namespace, name and UID).
 */
public final class ActivityApi {

  static final int MAX = 500;
  private static final Set<String> ORDER_STATES = Set.of("pending", "ready", "processing", "valid", "invalid");

  private final TokenAuthenticator auth;
  private final PgActivityStore store;
  private final ObjectMapper json;

  public ActivityApi(TokenAuthenticator auth, PgActivityStore store, ObjectMapper json) {
    this.auth = auth;
    this.store = store;
    this.json = json;
  }

  public void register(Router router) {
    router.route("GET", "/api/v1/acme/accounts", this::accounts)
        .route("GET", "/api/v1/acme/orders", this::orders)
        .route("GET", "/api/v1/certificate-requests", this::requests);
  }

  private static int limit(Exchange ex) {
    String s = ex.query("limit").orElse("100");
    try {
      int n = Integer.parseInt(s);
      if (n >= 1 && n <= MAX) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new RotorException(ErrorCode.MALFORMED_REQUEST, "limit must be a number from 1 to " + MAX);
  }

  private JsonNode parse(String text) {
    if (text == null) {
      return null;
    }
    try {
      return json.readTree(text);
    } catch (JsonProcessingException e) {
      return json.getNodeFactory().textNode(text);
    }
  }

  private void accounts(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    List<Map<String, Object>> items = store.acmeAccounts(limit(ex)).stream().map(a -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", a.id());
      m.put("status", a.status());
      m.put("contact", parse(a.contact()));
      m.put("externalAccountBinding", a.eab());
      m.put("orders", a.orders());
      m.put("createdAt", a.createdAt().toString());
      return m;
    }).toList();
    ex.json(200, Map.of("items", items));
  }

  private void orders(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    Optional<Long> account;
    try {
      account = ex.query("account").map(Long::parseLong);
    } catch (NumberFormatException e) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "account must be an account id");
    }
    Optional<String> status = ex.query("status");
    if (status.isPresent() && !ORDER_STATES.contains(status.get())) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "status must be one of " + String.join(", ", ORDER_STATES));
    }
    List<Map<String, Object>> items = store.acmeOrders(account, status, limit(ex)).stream().map(o -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", o.id());
      m.put("account", o.accountId());
      m.put("profile", o.profile());
      m.put("status", o.status());
      m.put("identifiers", parse(o.identifiers()));
      m.put("error", parse(o.error()));
      m.put("certificateSerial", o.certificateSerial());
      m.put("expiresAt", o.expiresAt().toString());
      m.put("createdAt", o.createdAt().toString());
      m.put("updatedAt", o.updatedAt().toString());
      return m;
    }).toList();
    ex.json(200, Map.of("items", items));
  }

  private void requests(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    List<Map<String, Object>> items = store.certificateRequests(limit(ex)).stream().map(e -> {
      JsonNode d = parse(e.details());
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("at", e.at().toString());
      m.put("namespace", text(d, "namespace"));
      m.put("name", text(d, "name"));
      m.put("uid", text(d, "uid"));
      m.put("username", text(d, "username"));
      switch (e.action()) {
        case "certificate.issued" -> {
          m.put("condition", "Ready=True");
          m.put("reason", "Issued");
          m.put("serial", e.target());
        }
        case "certificaterequest.denied" -> {
          m.put("condition", "Ready=False");
          m.put("reason", "Denied");
          m.put("message", text(d, "message"));
        }
        case "certificaterequest.failed" -> {
          m.put("condition", "Ready=False");
          m.put("reason", "Failed");
          m.put("message", text(d, "message"));
          m.put("problem", text(d, "problem"));
        }
        default -> {
          m.put("condition", "");
          m.put("reason", e.action());
        }
      }
      return m;
    }).toList();
    ex.json(200, Map.of("items", items));
  }

  private static String text(JsonNode d, String field) {
    return d == null || d.get(field) == null || d.get(field).isNull() ? null : d.get(field).asText();
  }
}
