package dev.rotor.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs the demo's steps (with 20 s workload certificates) and checks what each one showed. */
class DemoIT {

  @Test
  void the_demo_shows_mtls_identity_rotation_and_revocation() throws Exception {
    Path dir = Files.createTempDirectory("rotor-demo-it-");
    RotorDemo.prepare(dir);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (RotorDemo demo = new RotorDemo(new RotorDemo.Options(dir, 0, 0, Duration.ofSeconds(20)),
        new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      RotorDemo.Report r = demo.run();
      String out = printed.toString(StandardCharsets.UTF_8);

      // Step 3: A's request passed both proxies and the backend saw A's SPIFFE ID from the mTLS handshake.
      assertThat(r.firstResponse()).startsWith("hello from payments/api");
      assertThat(r.callerSeen()).isEqualTo(RotorDemo.WEB);
      assertThat(RotorDemo.field(r.firstResponse(), "By")).isEqualTo(RotorDemo.API);

      // Step 4: rotation under traffic, nothing failed, new handshakes show the new certificate.
      assertThat(r.rotatedSerial()).isNotEqualTo(r.firstSerial());
      assertThat(r.requestsDuringRotation()).isPositive();
      assertThat(r.failedDuringRotation()).isZero();
      assertThat(r.hashAfter()).isNotEqualTo(r.hashBefore()).isNotEmpty();

      // Step 5: revoked through the REST API, the next request refused within seconds.
      assertThat(r.refusal()).isNotNull();
      assertThat(r.revocationToRefusal()).isLessThan(Duration.ofSeconds(5));

      // Step 6: the UI answers at the printed address; the token printed is the admin's.
      assertThat(r.uiUrl()).endsWith("/ui/");
      assertThat(r.adminToken()).startsWith("rotor_");
      assertThat(out).contains("[1]", "[3]", "[4]", "[5]", "[6]", r.adminToken(), r.uiUrl(), "refused");
      HttpClient insecure = HttpClient.newBuilder().sslContext(trustAll()).build();
      HttpResponse<String> page = insecure.send(HttpRequest.newBuilder(URI.create(r.uiUrl())).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("Rotor CA");
    }
    // A second run empties the directory it made before; a foreign non-empty directory is refused.
    RotorDemo.prepare(dir);
    assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList()).containsExactly(".rotor-demo");
    Path foreign = Files.createTempDirectory("not-the-demo-");
    Files.writeString(foreign.resolve("precious.txt"), "keep me");
    assertThatThrownBy(() -> RotorDemo.prepare(foreign)).hasMessageContaining("not made by the demo");
    assertThat(foreign.resolve("precious.txt")).exists();
  }

  private static javax.net.ssl.SSLContext trustAll() throws Exception {
    // The UI check only needs the page; the demo's CA is verified everywhere else.
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
    ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}
      public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    }}, null);
    return ctx;
  }
}
