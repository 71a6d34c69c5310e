package dev.runbook4j.internal;

import dev.runbook4j.spi.LockManager;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** FIFO locks in memory, for one engine. */
final class InMemoryLockManager implements LockManager {
  private record Waiter(String runId, Runnable onAcquired) {}

  private final Map<String, String> holders = new HashMap<>();
  private final Map<String, ArrayDeque<Waiter>> queues = new HashMap<>();

  @Override
  public synchronized boolean acquire(String key, String runId, Runnable onAcquired) {
    String holder = holders.get(key);
    if (holder == null || holder.equals(runId)) {
      holders.put(key, runId);
      return true;
    }
    queues.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Waiter(runId, onAcquired));
    return false;
  }

  @Override
  public void release(String key, String runId) {
    Runnable next = null;
    synchronized (this) {
      if (runId.equals(holders.get(key))) {
        holders.remove(key);
        ArrayDeque<Waiter> q = queues.get(key);
        if (q != null && !q.isEmpty()) {
          Waiter w = q.poll();
          holders.put(key, w.runId());
          next = w.onAcquired();
        }
      } else {
        ArrayDeque<Waiter> q = queues.get(key);
        if (q != null) {
          for (Iterator<Waiter> it = q.iterator(); it.hasNext(); ) {
            if (it.next().runId().equals(runId)) {
              it.remove();
            }
          }
        }
      }
    }
    if (next != null) {
      next.run();
    }
  }

  @Override
  public synchronized String holder(String key) {
    return holders.get(key);
  }
}
