package dev.runbook4j.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake of the machine local-release.groovy changes: the same methods as the script's
 * {@code LocalMachine}, in memory. Releases start healthy at once; one started to fail "after 2 s"
 * fails from its third health check on (a count stands in for the clock).
 */
public final class FakeMachine {
  static final class Release {
    final String version;
    final String previous;
    int port;
    boolean running;
    long failAfterMs = -1;
    int checks;

    Release(String version, String previous) {
      this.version = version;
      this.previous = previous;
    }
  }

  private final Map<String, Release> releases = new LinkedHashMap<>();
  private String pending;
  private String pendingPrevious;
  private String pendingKey;
  private String current;
  private boolean proxy;
  private int frontPort = -1;
  private String proxyStartedBy;
  private String proxyRoot;
  private int nextPort = 40000;

  /** A machine where {@code version} already serves behind a running proxy on {@code port}. */
  public synchronized FakeMachine live(String version, int port) {
    Release r = new Release(version, null);
    r.port = nextPort++;
    r.running = true;
    releases.put(version, r);
    current = version;
    proxy = true;
    proxyRoot = rootId(null);
    frontPort = port;
    proxyStartedBy = version;
    return this;
  }

  public synchronized String nextVersion(String root) {
    int n = 0;
    for (String v : releases.keySet()) {
      if (v.matches("v\\d+")) {
        n = Math.max(n, Integer.parseInt(v.substring(1)));
      }
    }
    return "v" + (n + 1);
  }

  public synchronized boolean exists(String root, String version) {
    return releases.containsKey(version);
  }

  public synchronized void prepare(String root, String version, String previous, String key) {
    pendingKey = key;
    pending = version;
    pendingPrevious = previous;
    releases.put(version, new Release(version, previous));
  }

  public synchronized String preparedBy(String root, String key) {
    return key.equals(pendingKey) && releases.containsKey(pending) ? pending : null;
  }

  public synchronized List<String> runningVersions(String root) {
    return releases.values().stream().filter(r -> r.running).map(r -> r.version).sorted().toList();
  }

  public synchronized String pending(String root) {
    return pending;
  }

  public synchronized String previousOrNull(String root) {
    return pendingPrevious;
  }

  public synchronized String previousOf(String root, String version) {
    Release r = releases.get(version);
    return r != null ? r.previous : pendingPrevious;
  }

  public synchronized void deleteRelease(String root, String version) {
    releases.remove(version);
  }

  public synchronized int startService(String root, String version, long failAfterMs) {
    Release r = releases.get(version);
    r.port = nextPort++;
    r.running = true;
    r.failAfterMs = failAfterMs;
    return r.port;
  }

  public synchronized void stopService(String root, String version) {
    Release r = version == null ? null : releases.get(version);
    if (r != null) {
      r.running = false;
    }
  }

  /** One checkout: whatever the root, its id (another checkout's proxy is the real machine's test). */
  public synchronized String rootId(String root) {
    return "/fake/checkout";
  }

  public synchronized String proxyOwner(int port) {
    return proxy && frontPort == port ? proxyRoot : null;
  }

  public synchronized boolean proxyRunning(String root, int port) {
    return proxy && frontPort == port && rootId(root).equals(proxyRoot);
  }

  public synchronized void startProxy(String root, int port, String startedBy) {
    proxy = true;
    proxyRoot = rootId(root);
    frontPort = port;
    proxyStartedBy = startedBy;
  }

  public synchronized String proxyStartedBy(String root) {
    return proxy ? proxyStartedBy : null;
  }

  public synchronized void stopProxy(String root) {
    proxy = false;
    proxyStartedBy = null;
  }

  public synchronized String currentVersion(String root) {
    return current;
  }

  public synchronized void pointCurrent(String root, String version) {
    if (version != null && !releases.containsKey(version)) {
      throw new IllegalStateException("current would point at " + version + ", which does not exist");
    }
    current = version;
  }

  public synchronized List<Object> get(int port, String path) {
    if (port == frontPort) {
      if (!proxy) {
        return java.util.Arrays.asList(null, "connection refused");
      }
      if (current == null) {
        return List.of(503, "no release is live");
      }
      Release r = releases.get(current);
      return r == null || !r.running ? List.of(502, "bad gateway") : answer(r, path);
    }
    for (Release r : releases.values()) {
      if (r.port == port && r.running) {
        return answer(r, path);
      }
    }
    return java.util.Arrays.asList(null, "connection refused");
  }

  private static List<Object> answer(Release r, String path) {
    if (path.equals("/health")) {
      r.checks++;
      boolean ok = r.failAfterMs < 0 || r.failAfterMs > 0 && r.checks <= 2;
      return List.of(ok ? 200 : 500, (ok ? "ok " : "failing ") + r.version);
    }
    return List.of(200, "hello from " + r.version);
  }

  public synchronized void stopAll(String root) {
    releases.clear();
    pending = null;
    pendingPrevious = null;
    pendingKey = null;
    current = null;
    proxy = false;
    proxyStartedBy = null;
  }

  /** What a customer sees on the front port. */
  public synchronized String front() {
    List<Object> r = get(frontPort, "/");
    return r.get(0) + " " + r.get(1);
  }

  public synchronized boolean running(String version) {
    Release r = releases.get(version);
    return r != null && r.running;
  }

  public synchronized boolean proxy() {
    return proxy;
  }
}
