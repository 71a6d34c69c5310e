package dev.runbook4j.examples.readme;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The fleet and the router of the README's tour, in memory: which versions are installed, and
 * what share of the traffic each gets (the stable version gets what the others do not).
 */
public final class FakeFleet {
  private final String stable;
  private final Set<String> installed = new LinkedHashSet<>();
  private final Map<String, Integer> shares = new LinkedHashMap<>();

  public FakeFleet(String stable) {
    this.stable = stable;
    installed.add(stable);
  }

  /** Installs a version beside the stable one (taking no traffic) and returns it. */
  public synchronized String deploy(String version) {
    installed.add(version);
    return version;
  }

  /** Removes a version; removing one that is not installed is nothing to do. */
  public synchronized void remove(String version) {
    if (version.equals(stable)) {
      throw new IllegalArgumentException("the stable version " + stable + " is never removed");
    }
    if (shares.getOrDefault(version, 0) > 0) {
      throw new IllegalStateException(version + " still takes " + shares.get(version) + "% of the traffic");
    }
    installed.remove(version);
  }

  /** Sends {@code percent} of the traffic to {@code version} (which must be installed). */
  public synchronized void route(String version, int percent) {
    if (!installed.contains(version)) {
      throw new IllegalStateException(version + " is not installed");
    }
    shares.put(version, percent);
  }

  /** Whether {@code version} takes {@code percent} of the traffic and nothing else is installed. */
  public synchronized boolean serves(String version, int percent) {
    int others = shares.entrySet().stream().filter(e -> !e.getKey().equals(stable)).mapToInt(Map.Entry::getValue).sum();
    int share = version.equals(stable) ? 100 - others : shares.getOrDefault(version, 0);
    return share == percent && (!version.equals(stable) || percent != 100 || installed.equals(Set.of(stable)));
  }

  public synchronized Set<String> installed() {
    return Set.copyOf(installed);
  }
}
