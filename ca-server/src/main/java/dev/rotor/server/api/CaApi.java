package dev.rotor.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.server.ErrorCode;
import dev.rotor.server.RotorException;
import dev.rotor.server.ca.CaRotation;
import dev.rotor.server.ca.CaSlots;
import dev.rotor.server.ca.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CA rotation endpoints (admin): {@code GET /api/v1/ca/slots} (what is in service),
 * {@code POST /api/v1/ca/taint} (the active intermediate is compromised: replace it now) and
 * {@code POST /api/v1/ca/revoke-intermediate} (remove a tainted intermediate from the bundle) and
 * {@code POST /api/v1/ca/rotate-root} (a new root, cross-signed by the current one).
 * Thin: the transitions live in {@link CaRotation}.
 */
public final class CaApi {

  /** {@code POST /api/v1/ca/revoke-intermediate}; both fields optional. */
  public record RevokeIntermediateBody(Integer id, Boolean force) {}

  private final TokenAuthenticator auth;
  private final CaRotation rotation;
  private final CaSlots slots;
  private final ObjectMapper json;

  public CaApi(TokenAuthenticator auth, CaRotation rotation, CaSlots slots, ObjectMapper json) {
    this.auth = auth;
    this.rotation = rotation;
    this.slots = slots;
    this.json = json;
  }

  public void register(Router router) {
    router.route("GET", "/api/v1/ca/slots", this::slots)
        .route("POST", "/api/v1/ca/taint", this::taint)
        .route("POST", "/api/v1/ca/revoke-intermediate", this::revokeIntermediate)
        .route("POST", "/api/v1/ca/rotate-root", this::rotateRoot);
  }

  private void slots(Exchange ex) throws Exception {
    auth.require(ex, Role.VIEWER);
    ex.json(200, describe(slots.current()));
  }

  private void taint(Exchange ex) throws Exception {
    Principal p = auth.require(ex, Role.ADMIN);
    CaRotation.Outcome o = rotation.taint(p.name());
    slots.refresh(); // this replica signs with the new CA before answering
    Map<String, Object> out = new LinkedHashMap<>(o.details());
    out.putAll(describe(slots.current()));
    ex.json(200, out);
  }

  private void rotateRoot(Exchange ex) throws Exception {
    Principal p = auth.require(ex, Role.ADMIN);
    CaRotation.Outcome o = rotation.rotateRoot(p.name());
    slots.refresh();
    Map<String, Object> out = new LinkedHashMap<>(o.details());
    out.putAll(describe(slots.current()));
    ex.json(200, out);
  }

  private void revokeIntermediate(Exchange ex) throws Exception {
    Principal p = auth.require(ex, Role.ADMIN);
    byte[] raw = ex.body();
    RevokeIntermediateBody body = raw.length == 0 ? new RevokeIntermediateBody(null, null)
        : Exchange.parseJson(json, raw, RevokeIntermediateBody.class);
    boolean force = Boolean.TRUE.equals(body.force()) || ex.query("force").map("true"::equals).orElse(false);
    if (body.id() != null && body.id() < 1) {
      throw new RotorException(ErrorCode.MALFORMED_REQUEST, "id must be a CA id from GET /api/v1/ca/slots");
    }
    CaRotation.Outcome o = rotation.revokeIntermediate(p.name(), Optional.ofNullable(body.id()), force);
    slots.refresh();
    Map<String, Object> out = new LinkedHashMap<>(o.details());
    out.putAll(describe(slots.current()));
    ex.json(200, out);
  }

  private static Map<String, Object> describe(CertificateAuthority ca) {
    List<Map<String, Object>> issuers = new ArrayList<>();
    ca.issuers().values().stream().sorted((a, b) -> Integer.compare(a.id(), b.id())).forEach(i -> {
      X509Certificate c = i.ca().certificate();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", i.id());
      m.put("state", i.state().wire());
      m.put("subject", c.getSubjectX500Principal().getName());
      m.put("serial", c.getSerialNumber().toString(16));
      m.put("notBefore", c.getNotBefore().toInstant().toString());
      m.put("notAfter", c.getNotAfter().toInstant().toString());
      issuers.add(m);
    });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("activeId", ca.issuerId());
    out.put("generation", ca.generation());
    out.put("taintGeneration", ca.taintGeneration());
    out.put("intermediates", issuers);
    out.put("roots", ca.bundle().stream().filter(c -> c.getSubjectX500Principal().equals(c.getIssuerX500Principal()))
        .map(c -> Map.of("subject", c.getSubjectX500Principal().getName(), "serial", c.getSerialNumber().toString(16),
            "notAfter", c.getNotAfter().toInstant().toString())).toList());
    return out;
  }
}
