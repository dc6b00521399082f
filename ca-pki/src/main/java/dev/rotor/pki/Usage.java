package dev.rotor.pki;

import org.bouncycastle.asn1.x509.KeyPurposeId;

/** The extended key usages a {@link Profile} grants (RFC 5280 §4.2.1.12). */
public enum Usage {
  /** id-kp-serverAuth, 1.3.6.1.5.5.7.3.1. */
  SERVER_AUTH(KeyPurposeId.id_kp_serverAuth),
  /** id-kp-clientAuth, 1.3.6.1.5.5.7.3.2. */
  CLIENT_AUTH(KeyPurposeId.id_kp_clientAuth);

  private final KeyPurposeId purpose;

  Usage(KeyPurposeId purpose) {
    this.purpose = purpose;
  }

  /** The OID in dotted form. */
  public String oid() {
    return purpose.getId();
  }

  KeyPurposeId keyPurposeId() {
    return purpose;
  }
}
