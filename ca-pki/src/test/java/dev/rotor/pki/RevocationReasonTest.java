package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RevocationReasonTest {

  @Test
  void codesAreRfc5280s() {
    assertThat(RevocationReason.values()).extracting(RevocationReason::code).containsExactly(0, 1, 2, 3, 4, 5, 6, 8, 9, 10);
    for (RevocationReason r : RevocationReason.values()) {
      assertThat(RevocationReason.fromCode(r.code())).contains(r);
      assertThat(RevocationReason.fromName(r.name())).contains(r);
      // BouncyCastle's CRLReason table agrees on every code.
      assertThat(org.bouncycastle.asn1.x509.CRLReason.lookup(r.code()).getValue().intValue()).isEqualTo(r.code());
    }
  }

  @Test
  void lookupsAreExact() {
    assertThat(RevocationReason.fromCode(7)).isEmpty();
    assertThat(RevocationReason.fromCode(11)).isEmpty();
    assertThat(RevocationReason.fromName("KeyCompromise")).isEmpty();
    assertThat(RevocationReason.fromName("key_compromise")).isEmpty();
    assertThat(RevocationReason.fromName(null)).isEmpty();
    assertThat(RevocationReason.fromName("cACompromise")).contains(RevocationReason.cACompromise);
  }
}
