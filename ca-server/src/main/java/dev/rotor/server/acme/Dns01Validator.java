package dev.rotor.server.acme;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/** dns-01 (RFC 8555 §8.4): a TXT record at {@code _acme-challenge.<name>} holding base64url(SHA-256(key authorization)). */
public final class Dns01Validator implements ChallengeValidator {

  private final HostResolver resolver;

  public Dns01Validator(HostResolver resolver) {
    this.resolver = resolver;
  }

  @Override
  public void validate(Identifier identifier, String token, String keyAuthorization) {
    String name = "_acme-challenge." + identifier.baseName();
    String expected = digest(keyAuthorization);
    List<String> found = resolver.txt(name);
    if (found.isEmpty()) {
      throw new AcmeException(AcmeError.DNS, "no TXT record found at " + name);
    }
    if (!found.contains(expected)) {
      throw new AcmeException(AcmeError.INCORRECT_RESPONSE, "no TXT record at " + name + " matches the key authorization ("
          + found.size() + " found)");
    }
  }

  static String digest(String keyAuthorization) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(keyAuthorization.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
