package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotor.pki.CryptoProviders;
import java.io.StringReader;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class CsrPoolTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static PKCS10CertificationRequest parse(byte[] body) throws Exception {
    JsonNode json = JSON.readTree(body);
    return (PKCS10CertificationRequest)
        new PEMParser(new StringReader(json.get("csr").asText())).readObject();
  }

  @Test
  void csrIsSignedWithP256AndCarriesExactlyOneSpiffeUri() throws Exception {
    var provider = CryptoProviders.signing();
    PKCS10CertificationRequest csr = CsrPool.create(
        CsrPool.keyPairGenerator(provider).generateKeyPair(),
        "spiffe://rotor.local/ns/load/sa/bench-7", provider);

    assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
        .setProvider(CryptoProviders.bouncyCastle()).build(csr.getSubjectPublicKeyInfo())))
        .isTrue();
    assertThat(csr.getSignatureAlgorithm().getAlgorithm())
        .isEqualTo(X9ObjectIdentifiers.ecdsa_with_SHA256);
    assertThat(csr.getSubjectPublicKeyInfo().getAlgorithm().getParameters())
        .isEqualTo(new ASN1ObjectIdentifier("1.2.840.10045.3.1.7")); // prime256v1
    assertThat(csr.getSubject().getRDNs()).isEmpty();

    Attribute[] requested = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
    assertThat(requested).hasSize(1);
    Extensions extensions = Extensions.getInstance(requested[0].getAttrValues().getObjectAt(0));
    assertThat(extensions.getExtensionOIDs()).containsExactly(Extension.subjectAlternativeName);
    assertThat(extensions.getExtension(Extension.subjectAlternativeName).isCritical()).isTrue();
    GeneralName[] names =
        GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName).getNames();
    assertThat(names).hasSize(1);
    assertThat(names[0].getTagNo()).isEqualTo(GeneralName.uniformResourceIdentifier);
    assertThat(names[0].getName().toString()).isEqualTo("spiffe://rotor.local/ns/load/sa/bench-7");
  }

  @Test
  void bodyIsTheRequestJsonWithAPemCsr() throws Exception {
    byte[] body = CsrPool.requestBody("-----BEGIN CERTIFICATE REQUEST-----\nAA==\n"
        + "-----END CERTIFICATE REQUEST-----\n", "workload", 900);
    assertThat(new String(body, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
        "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nAA==\\n"
            + "-----END CERTIFICATE REQUEST-----\\n\",\"profile\":\"workload\","
            + "\"ttlSeconds\":900}");
  }

  @Test
  void generatedPoolHasDistinctKeysAndNumberedIds() throws Exception {
    CsrPool pool = CsrPool.generate(10, 3, CryptoProviders.signing(), "example.org", "agent",
        600);
    assertThat(pool.size()).isEqualTo(10);
    Set<String> ids = new HashSet<>();
    Set<Object> keys = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      byte[] body = pool.next();
      JsonNode json = JSON.readTree(body);
      assertThat(json.get("profile").asText()).isEqualTo("agent");
      assertThat(json.get("ttlSeconds").asInt()).isEqualTo(600);
      PKCS10CertificationRequest csr = parse(body);
      assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
          .setProvider(CryptoProviders.bouncyCastle()).build(csr.getSubjectPublicKeyInfo())))
          .isTrue();
      keys.add(csr.getSubjectPublicKeyInfo());
      Extensions ext = Extensions.getInstance(csr.getAttributes(
          PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0].getAttrValues().getObjectAt(0));
      ids.add(GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName).getNames()[0]
          .getName().toString());
    }
    assertThat(keys).hasSize(10);
    assertThat(ids).hasSize(10).allMatch(id -> id.matches("spiffe://example\\.org/ns/load/sa/bench-\\d"));
    assertThat(pool.reused()).isZero();
  }

  @Test
  void poolGoesRoundRobinAndCountsReuse() throws Exception {
    CsrPool pool = CsrPool.generate(3, 1, CryptoProviders.signing(), "rotor.local", "workload",
        900);
    byte[] first = pool.next();
    pool.next();
    pool.next();
    assertThat(pool.reused()).isZero();
    assertThat(pool.next()).isSameAs(first);
    pool.next();
    assertThat(pool.reused()).isEqualTo(2);
    assertThat(pool.handedOut()).isEqualTo(5);
  }

  @Test
  void plannedSizeCoversTheAssumedRateOverWarmupAndDuration() {
    long bigHeap = 64L << 30;
    assertThat(CsrPool.plannedSize(64, Duration.ofSeconds(65), bigHeap)).isEqualTo(780_000);
    assertThat(CsrPool.plannedSize(64, Duration.ofMillis(1500), bigHeap)).isEqualTo(18_000);
  }

  @Test
  void plannedSizeIsCappedByAQuarterOfTheHeapButNeverBelowConcurrency() {
    long heap = 400L << 20; // a quarter holds 102,400 entries of 1 kB
    assertThat(CsrPool.plannedSize(64, Duration.ofSeconds(65), heap)).isEqualTo(102_400);
    assertThat(CsrPool.plannedSize(500, Duration.ofSeconds(65), 1L << 20)).isEqualTo(500);
  }
}
