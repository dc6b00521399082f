package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DerTest {

  @ParameterizedTest(name = "ok/length-{0}")
  @ValueSource(ints = {0, 1, 126, 127, 128, 255, 256, 1000, 65535, 65536, 70000})
  void matches_bouncycastle_for_every_length_form(int n) throws Exception {
    byte[] content = new byte[n];
    for (int i = 0; i < n; i++) {
      content[i] = (byte) (i * 31);
    }
    DEROctetString octets = new DEROctetString(content);
    byte[] octetsDer = octets.getEncoded(ASN1Encoding.DER);
    assertThat(Der.sequence(octetsDer, octetsDer))
        .isEqualTo(new DERSequence(new ASN1Encodable[] {octets, octets}).getEncoded(ASN1Encoding.DER));
    assertThat(Der.tagged(0xA3, octetsDer)).isEqualTo(new DERTaggedObject(true, 3, octets).getEncoded(ASN1Encoding.DER));
    assertThat(Der.bitString(content)).isEqualTo(new DERBitString(content).getEncoded(ASN1Encoding.DER));
  }
}
