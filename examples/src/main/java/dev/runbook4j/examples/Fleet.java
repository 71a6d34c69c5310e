package dev.runbook4j.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small in-process service fleet for the examples: versions are deployed side by side and a
 * router splits traffic between the stable version and one canary. It keeps a log of every change
 * so tests can check that a rollback put everything back.
 *
 * <p>Threadsafe: every method is synchronized.
 */
public final class Fleet {
  private final Map<String, Boolean> deployed = new LinkedHashMap<>();
  private final List<String> changes = new ArrayList<>();
  private String stable;
  private String canary;
  private int canaryPercent;
  private String brokenVersion;
  private int brokenAbovePercent = Integer.MAX_VALUE;

  public Fleet(String stableVersion) {
    this.stable = stableVersion;
    deployed.put(stableVersion, true);
  }

  /** Makes {@code version} fail health checks once it serves more than {@code percent}% of traffic. */
  public synchronized Fleet breakWhenAbove(String version, int percent) {
    this.brokenVersion = version;
    this.brokenAbovePercent = percent;
    return this;
  }

  public synchronized String deploy(String version) {
    deployed.put(version, true);
    changes.add("deploy " + version);
    return version;
  }

  /** Removes a version; removing one that is not there is fine (nothing to undo). */
  public synchronized void remove(String version) {
    if (deployed.remove(version) != null) {
      changes.add("remove " + version);
    }
  }

  public synchronized boolean isDeployed(String version) {
    return deployed.containsKey(version);
  }

  /** Routes {@code percent}% of traffic to {@code version}; 0 routes everything to stable. */
  public synchronized void route(String version, int percent) {
    if (percent > 0 && !deployed.containsKey(version)) {
      throw new IllegalStateException("version " + version + " is not deployed");
    }
    canary = percent == 0 ? null : version;
    canaryPercent = percent;
    changes.add("route " + percent + "% to " + version);
  }

  /** Makes {@code version} the stable one, with all traffic. */
  public synchronized void promote(String version) {
    stable = version;
    canary = null;
    canaryPercent = 0;
    changes.add("promote " + version);
  }

  public synchronized String stable() {
    return stable;
  }

  public synchronized int canaryPercent() {
    return canaryPercent;
  }

  /** The share of requests that fail now, in percent. */
  public synchronized double errorRate() {
    if (canary != null && canary.equals(brokenVersion) && canaryPercent > brokenAbovePercent) {
      return canaryPercent * 0.3;
    }
    return 0.05;
  }

  public synchronized List<String> changes() {
    return List.copyOf(changes);
  }

  @Override
  public synchronized String toString() {
    return "stable " + stable + (canary == null ? "" : ", canary " + canary + " at " + canaryPercent + "%")
        + ", deployed " + deployed.keySet();
  }
}
