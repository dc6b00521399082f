package dev.rotor.server.acme;

/** Checks one challenge type over the network; returns normally when it passed. */
public interface ChallengeValidator {

  /**
   * @param identifier the authorization's identifier (a wildcard's base name)
   * @param token the challenge token
   * @param keyAuthorization {@code token + "." + base64url(JWK thumbprint)} (RFC 8555 §8.1)
   * @throws AcmeException the problem (incorrectResponse, connection, dns, tls, unauthorized)
   */
  void validate(Identifier identifier, String token, String keyAuthorization) throws AcmeException;
}
