package dev.rotor.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotor.server.Csrs;
import dev.rotor.server.TestServer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin UI in Debian's headless Chromium, driven by Selenium, against a real server (real
 * PostgreSQL, real TLS). Each test saves screenshots under {@code target/ui-screenshots/}.
 */
class AdminUiIT {

  static final Path SHOTS = Path.of("target", "ui-screenshots");
  static TestServer server;
  static WebDriver browser;
  static Path profileDir;
  static String viewerToken;
  static String revokeMe;
  static String keepActive;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    viewerToken = server.token("ui-viewer", "viewer");
    revokeMe = issue("payments", "api");
    keepActive = issue("web", "frontend");
    issue("web", "backend");
    String alreadyRevoked = issue("batch", "nightly");
    assertThat(server.post("/api/v1/certificates/" + alreadyRevoked + "/revoke", TestServer.ADMIN_TOKEN,
        Map.of("reason", "superseded")).status()).isEqualTo(200);
    Files.createDirectories(SHOTS);
    browser = chromium();
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  /** Debian's chromium and chromedriver, never a downloaded one. */
  static WebDriver chromium() throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    Path driver = Path.of("/usr/bin/chromedriver");
    if (!Files.isExecutable(chromium) || !Files.isExecutable(driver)) {
      throw new IllegalStateException("the UI tests need Debian's chromium and chromium-driver: "
          + "apt-get install chromium chromium-driver (./rotor test installs them when it can)");
    }
    profileDir = Files.createTempDirectory("rotor-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toString());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic", "--window-size=1280,900", "--user-data-dir=" + profileDir);
    // The server's certificate chains to the test CA, which this throwaway profile does not trust.
    options.setAcceptInsecureCerts(true);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  static String issue(String ns, String sa) throws Exception {
    TestServer.Reply r = server.issue(TestServer.ADMIN_TOKEN, Csrs.workload(ns, sa), "workload", 900);
    assertThat(r.status()).isEqualTo(201);
    return r.json().get("serial").asText();
  }

  static WebDriverWait await() {
    return new WebDriverWait(browser, Duration.ofSeconds(20));
  }

  static void open(String hash) {
    browser.get(server.https("/ui/").toString() + hash);
  }

  static void login(String token) {
    browser.get(server.https("/ui/").toString());
    browser.manage().deleteAllCookies();
    browser.navigate().refresh();
    WebElement field = await().until(ExpectedConditions.visibilityOfElementLocated(By.id("login-token")));
    field.sendKeys(token);
    browser.findElement(By.id("login-submit")).click();
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("logout")));
  }

  static void shot(String name) throws Exception {
    Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  /** Runs fetch() inside the page (with the page's cookies) and returns "status type". */
  static String fetchInPage(String method, String path, String body, boolean withCsrf) {
    String script = """
        const done = arguments[arguments.length - 1];
        (async () => {
          const headers = {'Content-Type': 'application/json'};
          if (%s) {
            const s = await (await fetch('/api/v1/session', {credentials: 'same-origin'})).json();
            headers['X-CSRF-Token'] = s.csrfToken;
          }
          const r = await fetch('%s', {method: '%s', headers, body: '%s', credentials: 'same-origin'});
          const j = await r.json().catch(() => ({}));
          done(r.status + ' ' + (j.type || ''));
        })().catch(e => done('error ' + e));
        """.formatted(withCsrf, path, method, body.replace("'", "\\'"));
    return (String) ((JavascriptExecutor) browser).executeAsyncScript(script);
  }

  static String status(String serial) throws Exception {
    return server.get("/api/v1/certificates/" + serial, TestServer.ADMIN_TOKEN).json().get("status").asText();
  }

  @Test
  void login_then_the_overview_shows_the_counts_the_api_gives() throws Exception {
    browser.manage().window().setSize(new Dimension(1280, 900));
    login(TestServer.ADMIN_TOKEN);
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("count-active")));
    JsonNode summary = server.get("/api/v1/summary", TestServer.ADMIN_TOKEN).json();
    assertThat(text("count-active")).isEqualTo(summary.at("/certificates/active").asText());
    assertThat(text("count-revoked")).isEqualTo(summary.at("/certificates/revoked").asText());
    assertThat(text("count-expiring")).isEqualTo(summary.at("/certificates/expiringSoon").asText());
    // The revoked count also matches the listing with the status filter.
    assertThat(Long.parseLong(text("count-revoked"))).isEqualTo(
        server.get("/api/v1/certificates?status=revoked", TestServer.ADMIN_TOKEN).json().get("items").size());
    await().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#issuance-chart canvas")));
    assertThat(text("issuance-summary")).contains("certificates in the last hour");
    assertThat(text("who-name")).isEqualTo("token:admin (admin)");
    shot("overview");

    // Usable at 390 px: nothing wider than the viewport, navigation still reachable.
    browser.manage().window().setSize(new Dimension(390, 844));
    open("#/certificates");
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("cert-q")));
    Long overflow = (Long) ((JavascriptExecutor) browser).executeScript(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
    assertThat(overflow).isLessThanOrEqualTo(0L);
    assertThat(browser.findElement(By.cssSelector("nav#nav a[data-page=audit]")).isDisplayed()).isTrue();
    shot("certificates-390px");
    browser.manage().window().setSize(new Dimension(1280, 900));
  }

  @Test
  void search_finds_a_certificate_by_san() throws Exception {
    login(TestServer.ADMIN_TOKEN);
    open("#/certificates");
    WebElement q = await().until(ExpectedConditions.visibilityOfElementLocated(By.id("cert-q")));
    q.sendKeys("ns/web/sa/frontend");
    browser.findElement(By.id("cert-search")).click();
    await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("cert-results"), keepActive));
    assertThat(text("cert-results")).contains("spiffe://rotor.local/ns/web/sa/frontend").doesNotContain("payments");
    shot("certificates-search");

    new Select(browser.findElement(By.id("cert-status"))).selectByValue("revoked");
    browser.findElement(By.id("cert-search")).click();
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("cert-empty")));
    assertThat(text("cert-empty")).contains("No certificate matches");
  }

  @Test
  void revoke_needs_a_confirmation_naming_the_certificate_then_ocsp_says_revoked() throws Exception {
    login(TestServer.ADMIN_TOKEN);
    open("#/certificates/" + revokeMe);
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("revoke-open")));
    new Select(browser.findElement(By.id("revoke-reason"))).selectByValue("keyCompromise");
    browser.findElement(By.id("revoke-open")).click();
    WebElement dialog = await().until(ExpectedConditions.visibilityOfElementLocated(By.id("revoke-dialog")));
    assertThat(dialog.getText()).contains(revokeMe).contains("spiffe://rotor.local/ns/payments/sa/api").contains("keyCompromise");
    shot("revoke-confirmation");
    // Cancel changes nothing.
    browser.findElement(By.id("revoke-cancel")).click();
    assertThat(status(revokeMe)).isEqualTo("active");

    browser.findElement(By.id("revoke-open")).click();
    await().until(ExpectedConditions.elementToBeClickable(By.id("revoke-confirm"))).click();
    await().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".fields"), "keyCompromise"));
    assertThat(browser.findElement(By.cssSelector(".fields .badge")).getText()).isEqualTo("revoked");
    assertThat(browser.findElements(By.id("revoke-open"))).isEmpty();
    shot("revoked");

    assertThat(status(revokeMe)).isEqualTo("revoked");
    assertThat(ocspSaysRevoked(new BigInteger(revokeMe, 16))).isTrue();
  }

  @Test
  void a_viewer_sees_no_revoke_button_and_a_forged_revoke_is_refused() throws Exception {
    login(viewerToken);
    open("#/certificates/" + keepActive);
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("download-pem")));
    assertThat(browser.findElements(By.id("revoke-open"))).isEmpty();
    assertThat(text("who-name")).isEqualTo("token:ui-viewer (viewer)");
    shot("viewer-detail");
    // Forged with a valid session and CSRF token: the server refuses the role anyway.
    assertThat(fetchInPage("POST", "/api/v1/certificates/" + keepActive + "/revoke", "{\"reason\":\"superseded\"}", true))
        .isEqualTo("403 urn:rotor:problem:forbidden");
    assertThat(status(keepActive)).isEqualTo("active");
  }

  @Test
  void a_request_without_the_csrf_token_is_refused() throws Exception {
    login(TestServer.ADMIN_TOKEN);
    open("#/overview");
    assertThat(fetchInPage("POST", "/api/v1/certificates/" + keepActive + "/revoke", "{\"reason\":\"superseded\"}", false))
        .isEqualTo("403 urn:rotor:problem:csrf");
    assertThat(fetchInPage("POST", "/api/v1/tokens", "{\"name\":\"sneaky\",\"role\":\"admin\"}", false))
        .isEqualTo("403 urn:rotor:problem:csrf");
    assertThat(status(keepActive)).isEqualTo("active");
    assertThat(server.count("SELECT count(*) FROM api_tokens WHERE name = 'sneaky'")).isZero();
  }

  @Test
  void audit_verify_shows_ok_and_the_other_pages_render() throws Exception {
    login(TestServer.ADMIN_TOKEN);
    open("#/audit");
    await().until(ExpectedConditions.elementToBeClickable(By.id("audit-verify"))).click();
    WebElement ok = await().until(ExpectedConditions.visibilityOfElementLocated(By.id("verify-ok")));
    long entries = server.get("/api/v1/audit/verify", TestServer.ADMIN_TOKEN).json().get("entries").asLong();
    assertThat(ok.getText()).startsWith("Chain intact:").contains("entries verified");
    assertThat(Long.parseLong(ok.getText().replaceAll("\\D+", " ").trim().split(" ")[0])).isBetween(1L, entries);
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("certificate.issued").contains("login");
    shot("audit");

    open("#/ca");
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("bundle-link")));
    String fingerprint = browser.findElement(By.tagName("main")).getText();
    assertThat(fingerprint).contains("Root:").contains("Issuing CA:").contains("SHA-256 fingerprint");
    shot("ca");

    open("#/agents");
    await().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("main .empty")));
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("No agent has attested");
    shot("agents-empty");

    open("#/acme");
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("acme-orders-empty")));
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("No ACME account yet").contains("/acme/acme/directory");
    shot("acme-empty");

    open("#/requests");
    await().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("main .empty")));
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("rotor.dev");
    shot("certificaterequests-empty");
  }

  @Test
  void logging_out_ends_the_session_on_the_server() throws Exception {
    login(TestServer.ADMIN_TOKEN);
    String cookie = browser.manage().getCookieNamed("rotor_session").getValue();
    assertThat(browser.manage().getCookieNamed("rotor_session").isHttpOnly()).isTrue();
    assertThat(browser.manage().getCookieNamed("rotor_session").isSecure()).isTrue();
    assertThat(browser.manage().getCookieNamed("rotor_session").getSameSite()).isEqualTo("Strict");
    browser.findElement(By.id("logout")).click();
    await().until(ExpectedConditions.visibilityOfElementLocated(By.id("login-token")));
    TestServer.Reply r = server.send("GET", "/api/v1/summary", null, null, null, Map.of("Cookie", "rotor_session=" + cookie));
    assertThat(r.status()).isEqualTo(401);
    shot("signed-out");
  }

  static boolean ocspSaysRevoked(BigInteger serial) throws Exception {
    var issuer = server.server().ca().issuingCertificate();
    CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
        new JcaX509CertificateHolder(issuer), serial);
    var req = new OCSPReqBuilder().addRequest(id).build();
    var plain = java.net.http.HttpClient.newHttpClient();
    var r = plain.send(java.net.http.HttpRequest.newBuilder(server.http("/ocsp")).header("Content-Type", "application/ocsp-request")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(req.getEncoded())).build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(r.body()).getResponseObject();
    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey()))).isTrue();
    return basic.getResponses()[0].getCertStatus() instanceof RevokedStatus;
  }
}
