package dev.rotor.server.acme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.rotor.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/** acme4j sessions that trust the test CA, and a raw JWS client for requests acme4j would never send. */
final class AcmeClients {

  static final ObjectMapper JSON = new ObjectMapper();

  private AcmeClients() {}

  static Session session(TestServer server, String profile) throws Exception {
    // acme4j's KeyPairUtils and CSRBuilder name the BC provider
    if (java.security.Security.getProvider("BC") == null) {
      java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
    }
    SSLContext ctx = TestServer.sslContext(server.bundle());
    GenericAcmeProvider provider = new GenericAcmeProvider() {
      @Override
      public HttpClient createHttpClient(NetworkSettings settings) {
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
      }
    };
    return new Session(server.https("/acme/" + profile + "/directory"), provider);
  }

  /** A hand-made flattened JWS client over one ES256 key. */
  static final class Raw {
    final TestServer server;
    final ECKey key;
    final String base;

    Raw(TestServer server) throws Exception {
      this.server = server;
      this.key = new ECKeyGenerator(Curve.P_256).generate();
      this.base = "https://localhost:" + server.server().httpsPort() + "/acme/acme/";
    }

    String nonce() throws Exception {
      HttpResponse<Void> r = server.client().send(HttpRequest.newBuilder(URI.create(base + "new-nonce"))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      return r.headers().firstValue("Replay-Nonce").orElseThrow();
    }

    /** A signed body; {@code kid} null means the jwk is embedded. */
    String jws(String alg, String url, String nonce, String kid, Object payload) throws Exception {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("alg", alg);
      if (kid == null) {
        h.put("jwk", key.toPublicJWK().toJSONObject());
      } else {
        h.put("kid", kid);
      }
      h.put("nonce", nonce);
      h.put("url", url);
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      String prot = b64.encodeToString(JSON.writeValueAsBytes(h));
      String pay = payload == null ? "" : b64.encodeToString(JSON.writeValueAsBytes(payload));
      String sig = new ECDSASigner(key).sign(new JWSHeader(JWSAlgorithm.ES256), (prot + "." + pay).getBytes(StandardCharsets.US_ASCII)).toString();
      return JSON.writeValueAsString(Map.of("protected", prot, "payload", pay, "signature", sig));
    }

    HttpResponse<String> post(String url, String body) throws Exception {
      return server.client().send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/jose+json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Creates the account for this key; returns its URL. */
    String newAccount() throws Exception {
      HttpResponse<String> r = post(base + "new-account", jws("ES256", base + "new-account", nonce(), null,
          Map.of("termsOfServiceAgreed", true)));
      if (r.statusCode() != 201) {
        throw new IllegalStateException(r.statusCode() + " " + r.body());
      }
      return r.headers().firstValue("Location").orElseThrow();
    }
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }
}
