package dev.runbook4j.internal.engine;

import dev.runbook4j.LockPolicy;
import dev.runbook4j.LockUnavailableException;
import dev.runbook4j.spi.LockManager;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Locks in memory, for one engine: a queue and a fencing token per key. */
final class InMemoryLockManager implements LockManager {
  private record Waiting(String runId, Waiter waiter) {}

  private record Held(String runId, long token) {}

  private final Map<String, Held> holders = new HashMap<>();
  private final Map<String, Long> tokens = new HashMap<>();
  private final Map<String, ArrayDeque<Waiting>> queues = new HashMap<>();

  private long next(String key) {
    long t = tokens.getOrDefault(key, 0L) + 1;
    tokens.put(key, t);
    return t;
  }

  @Override
  public long acquire(String key, String runId, String runbook, LockPolicy policy, Waiter waiter) {
    List<Waiting> superseded = new ArrayList<>();
    long token;
    synchronized (this) {
      Held holder = holders.get(key);
      if (holder == null || holder.runId().equals(runId)) {
        token = next(key);
        holders.put(key, new Held(runId, token));
        return token;
      }
      if (policy == LockPolicy.FAIL_FAST) {
        throw new LockUnavailableException(runbook, runId, key, holder.runId());
      }
      ArrayDeque<Waiting> q = queues.computeIfAbsent(key, k -> new ArrayDeque<>());
      if (policy == LockPolicy.LATEST_WINS) {
        superseded.addAll(q);
        q.clear();
      }
      q.add(new Waiting(runId, waiter));
      token = 0;
    }
    for (Waiting w : superseded) {
      w.waiter().superseded(runId);
    }
    return token;
  }

  @Override
  public void release(String key, String runId) {
    handOn(key, runId);
  }

  @Override
  public String forceRelease(String key) {
    return handOn(key, null);
  }

  private String handOn(String key, String runId) {
    Waiting next = null;
    long token = 0;
    String was;
    synchronized (this) {
      Held holder = holders.get(key);
      was = holder == null ? null : holder.runId();
      if (holder != null && (runId == null || holder.runId().equals(runId))) {
        holders.remove(key);
        ArrayDeque<Waiting> q = queues.get(key);
        if (q != null && !q.isEmpty()) {
          next = q.poll();
          token = next(key);
          holders.put(key, new Held(next.runId(), token));
        }
      } else if (runId != null) {
        ArrayDeque<Waiting> q = queues.get(key);
        if (q != null) {
          for (Iterator<Waiting> it = q.iterator(); it.hasNext(); ) {
            if (it.next().runId().equals(runId)) {
              it.remove();
            }
          }
        }
      }
    }
    if (next != null) {
      next.waiter().granted(token);
    }
    return was;
  }

  @Override
  public synchronized List<dev.runbook4j.LockInfo> list() {
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(holders.keySet());
    queues.forEach((k, q) -> {
      if (!q.isEmpty()) {
        keys.add(k);
      }
    });
    List<dev.runbook4j.LockInfo> out = new ArrayList<>();
    for (String k : keys) {
      Held h = holders.get(k);
      ArrayDeque<Waiting> q = queues.getOrDefault(k, new ArrayDeque<>());
      out.add(new dev.runbook4j.LockInfo(k, java.util.Optional.ofNullable(h == null ? null : h.runId()),
          tokens.getOrDefault(k, 0L), java.util.Optional.empty(), q.stream().map(Waiting::runId).toList()));
    }
    return out;
  }

  @Override
  public synchronized String holder(String key) {
    Held h = holders.get(key);
    return h == null ? null : h.runId();
  }

  @Override
  public synchronized boolean holds(String key, String runId, long token) {
    Held h = holders.get(key);
    return h != null && h.runId().equals(runId) && h.token() == token;
  }
}
