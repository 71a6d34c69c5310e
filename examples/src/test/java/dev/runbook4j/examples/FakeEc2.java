package dev.runbook4j.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One EC2 instance as patch-instance.groovy sees it: its state, its patch level, whether its target
 * group routes to it, and its snapshots. {@link #asItWas()} says whether everything is back as it
 * was. Threadsafe: every method is synchronized.
 */
public final class FakeEc2 {
  private final String id;
  private final String initialState;
  private String state;
  private String level = "2026.10";
  private boolean registered = true;
  private final Set<String> snapshots = new LinkedHashSet<>();
  private final Map<String, String> snapshotLevels = new LinkedHashMap<>();
  private final Map<String, String> tags = new LinkedHashMap<>();
  private final List<String> log = new ArrayList<>();
  private int snapshotCount;

  public FakeEc2(String id, String state) {
    this.id = id;
    this.initialState = state;
    this.state = state;
  }

  private void check(String instance) {
    if (!instance.equals(id)) {
      throw new IllegalArgumentException("no instance " + instance);
    }
  }

  public synchronized String state(String instance) {
    check(instance);
    return state;
  }

  public synchronized String start(String instance) {
    check(instance);
    log.add("start");
    state = "running";
    return state;
  }

  public synchronized void stop(String instance) {
    check(instance);
    log.add("stop");
    state = "stopped";
  }

  /** A snapshot of the instance tagged {@code token}; the same token again returns the same snapshot. */
  public synchronized String snapshot(String instance, String token) {
    check(instance);
    for (Map.Entry<String, String> e : tags.entrySet()) {
      if (e.getValue().equals(token) && snapshots.contains(e.getKey())) {
        return e.getKey();
      }
    }
    String snap = "snap-" + (++snapshotCount);
    snapshots.add(snap);
    snapshotLevels.put(snap, level);
    tags.put(snap, token);
    log.add("snapshot " + snap);
    return snap;
  }

  /** Deletes every snapshot tagged {@code token}. */
  public synchronized void deleteSnapshotsTagged(String token) {
    tags.forEach((snap, t) -> {
      if (t.equals(token) && snapshots.remove(snap)) {
        log.add("delete " + snap);
      }
    });
  }

  public synchronized boolean deregister(String instance) {
    check(instance);
    log.add("deregister");
    registered = false;
    return true;
  }

  public synchronized void register(String instance) {
    check(instance);
    log.add("register");
    registered = true;
  }

  public synchronized String patch(String instance, String baseline) {
    check(instance);
    log.add("patch " + baseline);
    level = "2026.11-" + baseline;
    return level;
  }

  public synchronized void restore(String instance, Object snap) {
    check(instance);
    log.add("restore " + snap);
    level = snapshotLevels.get(String.valueOf(snap));
  }

  public synchronized boolean healthy(String instance) {
    check(instance);
    return "running".equals(state);
  }

  /** Whether the instance is as it was before the run: its state, patch level and routing, no snapshot left. */
  public synchronized boolean asItWas() {
    return state.equals(initialState) && level.equals("2026.10") && registered && snapshots.isEmpty();
  }

  public synchronized String level() {
    return level;
  }

  public synchronized List<String> log() {
    return List.copyOf(log);
  }
}
