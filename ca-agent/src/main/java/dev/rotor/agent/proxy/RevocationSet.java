package dev.rotor.agent.proxy;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The serials the revocation feed lists (lower-case hex, no leading zeros), replaced as a whole
 * on each feed update. Listeners (the proxy's connection registry) hear about every new set.
 */
public final class RevocationSet {

  private volatile Set<String> serials = Set.of();
  private volatile String version = "";
  private final CopyOnWriteArrayList<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

  public boolean isRevoked(String serialHex) {
    return serials.contains(serialHex);
  }

  public void replace(String newVersion, Set<String> newSerials) {
    this.serials = Set.copyOf(newSerials);
    this.version = newVersion;
    for (Consumer<Set<String>> l : listeners) {
      l.accept(this.serials);
    }
  }

  public String version() {
    return version;
  }

  public void onChange(Consumer<Set<String>> listener) {
    listeners.add(listener);
  }
}
