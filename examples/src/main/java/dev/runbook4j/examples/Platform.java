package dev.runbook4j.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An in-memory model of what a service release changes: the database schema, the artifact store,
 * the fleet's traffic split, a feature flag, the DNS record customers hit, the on-call page, and
 * the error rate a monitor reads. {@link #snapshot()} captures all of it, so a test can say "after
 * a rollback the platform is exactly as it was".
 *
 * <p>Threadsafe: every method is synchronized.
 */
public final class Platform {
  private int schema = 41;
  private final Set<String> artifacts = new LinkedHashSet<>(List.of("shop-1.4.1"));
  private final Map<String, Integer> traffic = new LinkedHashMap<>(Map.of("1.4.1", 100));
  private final Map<String, Boolean> flags = new LinkedHashMap<>(Map.of("new-checkout", false));
  private String dns = "lb-blue";
  private String stable = "1.4.1";
  private boolean maintenanceBanner;
  private double errorRate = 0.1;
  private final List<String> changes = new ArrayList<>();

  /** Everything a release may change, as a value. */
  public record Snapshot(int schema, Set<String> artifacts, Map<String, Integer> traffic, Map<String, Boolean> flags,
      String dns, String stable, boolean banner) {
    public Snapshot {
      artifacts = Set.copyOf(artifacts);
      traffic = Map.copyOf(traffic);
      flags = Map.copyOf(flags);
    }
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(schema, artifacts, traffic, flags, dns, stable, maintenanceBanner);
  }

  public synchronized int schema() {
    return schema;
  }

  /** Applies migration {@code to} (idempotent); returns the version before. */
  public synchronized int migrate(int to) {
    changes.add("migrate " + schema + " -> " + to);
    int before = schema;
    schema = to;
    return before;
  }

  public synchronized void upload(String artifact) {
    changes.add("upload " + artifact);
    artifacts.add(artifact);
  }

  public synchronized void delete(String artifact) {
    changes.add("delete " + artifact);
    artifacts.remove(artifact);
  }

  public synchronized boolean hasArtifact(String artifact) {
    return artifacts.contains(artifact);
  }

  /** Starts {@code version} with no traffic. */
  public synchronized void start(String version) {
    changes.add("start " + version);
    traffic.putIfAbsent(version, 0);
  }

  /** Stops {@code version}; its traffic goes back to the stable version. */
  public synchronized void stop(String version) {
    changes.add("stop " + version);
    Integer share = traffic.remove(version);
    if (share != null && share > 0 && !version.equals(stable)) {
      traffic.merge(stable, share, Integer::sum);
    }
  }

  public synchronized boolean isRunning(String version) {
    return traffic.containsKey(version);
  }

  /** Gives {@code version} {@code percent} of traffic, the stable version the rest. */
  public synchronized void split(String version, int percent) {
    changes.add("split " + version + " " + percent + "%");
    if (!traffic.containsKey(version)) {
      throw new IllegalStateException(version + " is not running");
    }
    traffic.put(version, percent);
    traffic.put(stable, 100 - percent);
    if (percent == 0 && !version.equals(stable)) {
      traffic.put(version, 0);
    }
  }

  public synchronized int share(String version) {
    return traffic.getOrDefault(version, 0);
  }

  public synchronized void flag(String name, boolean on) {
    changes.add("flag " + name + " " + on);
    flags.put(name, on);
  }

  public synchronized boolean flag(String name) {
    return flags.getOrDefault(name, false);
  }

  public synchronized String pointDns(String target) {
    changes.add("dns -> " + target);
    String before = dns;
    dns = target;
    return before;
  }

  public synchronized String dns() {
    return dns;
  }

  /** Makes {@code version} the stable one; returns the one before. */
  public synchronized String promote(String version) {
    changes.add("promote " + version);
    String before = stable;
    stable = Objects.requireNonNull(version);
    return before;
  }

  public synchronized String stable() {
    return stable;
  }

  public synchronized void banner(boolean on) {
    changes.add("banner " + on);
    maintenanceBanner = on;
  }

  public synchronized double errorRate() {
    return errorRate;
  }

  public synchronized void errorRate(double percent) {
    errorRate = percent;
  }

  public synchronized List<String> changes() {
    return List.copyOf(changes);
  }

  @Override
  public synchronized String toString() {
    return snapshot().toString();
  }
}
