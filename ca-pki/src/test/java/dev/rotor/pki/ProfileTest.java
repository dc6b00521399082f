package dev.rotor.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rotor.pki.PkiException.Problem;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProfileTest {

  @Test
  void defaultsAreTheFourProfilesInOrder() {
    assertThat(Profile.defaults().keySet()).containsExactly("workload", "agent", "acme", "admin");
    assertThatThrownBy(() -> Profile.defaults().put("x", Profile.acme())).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void builtInProfilesHaveTheDocumentedShape() {
    SoftAssertions soft = new SoftAssertions();
    Profile w = Profile.workload();
    soft.assertThat(w.nameForms()).containsExactlyInAnyOrder(NameForm.SPIFFE, NameForm.DNS);
    soft.assertThat(w.keyTypes()).containsExactlyInAnyOrder(KeyType.values());
    soft.assertThat(w.defaultTtl()).isEqualTo(Duration.ofMinutes(15));
    soft.assertThat(w.minTtl()).isEqualTo(Duration.ofMinutes(10));
    soft.assertThat(w.maxTtl()).isEqualTo(Duration.ofMinutes(15));
    soft.assertThat(w.usages()).containsExactlyInAnyOrder(Usage.SERVER_AUTH, Usage.CLIENT_AUTH);
    soft.assertThat(w.spiffePathPrefix()).isEqualTo("/ns/");
    soft.assertThat(w.requireSpiffe()).isTrue();
    soft.assertThat(w.maxNames()).isEqualTo(100);
    soft.assertThat(w.allowsWildcardDns()).isFalse();

    Profile ag = Profile.agent();
    soft.assertThat(ag.nameForms()).containsExactly(NameForm.SPIFFE);
    soft.assertThat(ag.spiffePathPrefix()).isEqualTo("/agent/");
    soft.assertThat(ag.maxNames()).isEqualTo(1);
    soft.assertThat(ag.maxTtl()).isEqualTo(Duration.ofMinutes(15));
    soft.assertThat(ag.usages()).containsExactlyInAnyOrder(Usage.SERVER_AUTH, Usage.CLIENT_AUTH);

    Profile ac = Profile.acme();
    soft.assertThat(ac.nameForms()).containsExactlyInAnyOrder(NameForm.DNS, NameForm.IP);
    soft.assertThat(ac.defaultTtl()).isEqualTo(Duration.ofHours(24));
    soft.assertThat(ac.minTtl()).isEqualTo(Duration.ofHours(1));
    soft.assertThat(ac.maxTtl()).isEqualTo(Duration.ofHours(24));
    soft.assertThat(ac.usages()).containsExactly(Usage.SERVER_AUTH);
    soft.assertThat(ac.requireSpiffe()).isFalse();
    soft.assertThat(ac.allowsWildcardDns()).isTrue();

    Profile ad = Profile.admin();
    soft.assertThat(ad.nameForms()).containsExactly(NameForm.SPIFFE);
    soft.assertThat(ad.usages()).containsExactly(Usage.CLIENT_AUTH);
    soft.assertThat(ad.defaultTtl()).isEqualTo(Duration.ofHours(8));
    soft.assertThat(ad.minTtl()).isEqualTo(Duration.ofMinutes(5));
    soft.assertThat(ad.maxTtl()).isEqualTo(Duration.ofHours(24));
    soft.assertThat(ad.spiffePathPrefix()).isEqualTo("/admin/");
    soft.assertThat(ad.maxNames()).isEqualTo(1);
    soft.assertAll();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "ok/workload-default, workload, , 900",
      "ok/workload-min, workload, 600, 600",
      "ok/workload-max, workload, 900, 900",
      "ok/acme-default, acme, , 86400",
      "ok/acme-hour, acme, 3600, 3600",
      "ok/admin-min, admin, 300, 300"})
  void resolvesTtl(String name, String profile, Integer ttl, long expectedSeconds) throws Exception {
    assertThat(Profile.defaults().get(profile).resolveTtl(ttl)).isEqualTo(Duration.ofSeconds(expectedSeconds));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "fail/workload-above-max | workload | 3600 | ttlSeconds 3600 is above the maximum 900 of profile workload",
      "fail/workload-below-min | workload | 599 | ttlSeconds 599 is below the minimum 600 of profile workload",
      "fail/zero | workload | 0 | ttlSeconds 0 is below the minimum 600 of profile workload",
      "fail/negative | acme | -5 | ttlSeconds -5 is below the minimum 3600 of profile acme",
      "fail/acme-above-max | acme | 86401 | ttlSeconds 86401 is above the maximum 86400 of profile acme"})
  void refusesTtlOutsideBounds(String name, String profile, int ttl, String message) {
    assertThatThrownBy(() -> Profile.defaults().get(profile).resolveTtl(ttl))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_TTL))
        .hasMessage(message);
  }

  @Test
  void checkKeyRefusesKeyTypesTheProfileDoesNotAllow() throws Exception {
    Profile ecOnly = new Profile("ec-only", EnumSet.of(NameForm.DNS), EnumSet.of(KeyType.EC_P256), Duration.ofHours(1),
        Duration.ofHours(1), Duration.ofHours(1), Set.of(Usage.SERVER_AUTH), "", false, 10);
    CheckedCsr p256 = new CheckedCsr(new byte[0], TestKeys.p256().getPublic(), KeyType.EC_P256, 256, new X500Name("CN=x"),
        SubjectNames.of(null, null, null));
    CheckedCsr rsa = new CheckedCsr(new byte[0], TestKeys.rsa(2048).getPublic(), KeyType.RSA, 2048, new X500Name("CN=x"),
        SubjectNames.of(null, null, null));
    ecOnly.checkKey(p256);
    Profile.workload().checkKey(rsa);
    assertThatThrownBy(() -> ecOnly.checkKey(rsa))
        .isInstanceOfSatisfying(PkiException.class, e -> assertThat(e.problem()).isEqualTo(Problem.UNSUPPORTED_KEY))
        .hasMessageContaining("RSA")
        .hasMessageContaining("ec-only");
  }

  @Test
  void refusesInconsistentProfiles() {
    assertThatThrownBy(() -> new Profile("x", Set.of(NameForm.DNS), Set.of(KeyType.RSA), Duration.ofHours(2),
        Duration.ofHours(1), Duration.ofHours(1), Set.of(Usage.SERVER_AUTH), "", false, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Profile("x", Set.of(NameForm.DNS), Set.of(KeyType.RSA), Duration.ofHours(1),
        Duration.ofHours(1), Duration.ofHours(1), Set.of(Usage.SERVER_AUTH), "", true, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Profile("x", Set.of(NameForm.DNS), Set.of(KeyType.RSA), Duration.ofHours(1),
        Duration.ofHours(1), Duration.ofHours(1), Set.of(), "", false, 1))
        .isInstanceOf(IllegalArgumentException.class);
    // No profile may allow more than 100 names.
    assertThatThrownBy(() -> new Profile("x", Set.of(NameForm.DNS), Set.of(KeyType.RSA), Duration.ofHours(1),
        Duration.ofHours(1), Duration.ofHours(1), Set.of(Usage.SERVER_AUTH), "", false, Profile.MAX_NAMES + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxNames must be 1 to 100");
  }

  @Test
  void setsAreImmutableCopies() {
    EnumSet<Usage> usages = EnumSet.of(Usage.SERVER_AUTH);
    Profile p = new Profile("x", Set.of(NameForm.DNS), Set.of(KeyType.RSA), Duration.ofHours(1), Duration.ofHours(1),
        Duration.ofHours(1), usages, "", false, 1);
    usages.add(Usage.CLIENT_AUTH);
    assertThat(p.usages()).containsExactly(Usage.SERVER_AUTH);
    assertThatThrownBy(() -> p.usages().add(Usage.CLIENT_AUTH)).isInstanceOf(UnsupportedOperationException.class);
  }
}
