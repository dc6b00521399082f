package dev.rotor.pki;

/** The kinds of subjectAltName a {@link Profile} may carry. */
public enum NameForm {
  /** A {@code spiffe://} URI (SPIFFE X509-SVID §2). */
  SPIFFE,
  /** A dNSName. */
  DNS,
  /** An iPAddress. */
  IP
}
