package dev.runbook4j.internal.run;

import dev.runbook4j.LeaseLostException;
import dev.runbook4j.LockPolicy;
import dev.runbook4j.LockUnavailableException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.spi.LockManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's locks: taken in order before its first node (a run that queues waits, its runbook's
 * watches checked meanwhile, and says so in the journal), taken again under new fencing tokens when
 * the run is rebuilt, checked against their tokens before every call that changes something, and
 * released when the run ends — all the locks its journal says it holds, whether or not this object
 * took them again.
 */
final class RunLocks {
  private static final Logger log = LoggerFactory.getLogger(RunLocks.class);

  private final Run run;
  /** The locks this object holds and their fencing tokens, in the order taken; guarded by the run. */
  private final Map<String, Long> held = new LinkedHashMap<>();
  /** Why the locks could not be taken (fail-fast, or a watch breached while it waited), or null. */
  private volatile Outcome failure;

  RunLocks(Run run) {
    this.run = run;
  }

  /** The outcome of a run that did not get its locks: cancelled, superseded, fail-fast or breached. */
  Outcome noLocks() {
    return failure != null ? failure : run.cancelledOutcome();
  }

  CompletableFuture<Boolean> acquire(List<String> keys, int i) {
    try {
      for (; i < keys.size(); i++) {
        String key = keys.get(i);
        LockPolicy policy = run.plan.lockPolicies().get(i);
        if (run.cancelRequested()) {
          return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> granted = new CompletableFuture<>();
        long[] grant = new long[1];
        run.waits.hold(granted);
        long token;
        try {
          token = run.host.lockManager().acquire(key, run.runId, run.runbook.name(), policy, new LockManager.Waiter() {
            @Override
            public void granted(long t) {
              grant[0] = t;
              run.onWorker(() -> granted.complete(true));
            }

            @Override
            public void superseded(String byRunId) {
              run.onWorker(() -> supersededBy(key, byRunId));
            }
          });
        } catch (LockUnavailableException e) {
          run.waits.release(granted);
          failure = Outcome.failed(e);
          log.info("Run {} ({}): {}", run.runId, run.runbook.name(), e.getMessage());
          return CompletableFuture.completedFuture(false);
        }
        if (token == 0) {
          String id = "lock:" + key;
          run.record(new RunEvent.LockWaiting(run.runId, key, run.host.lockManager().holder(key), run.now()));
          run.setActive(id, RunState.WAITING);
          run.waits.watchWhile(Frame.root(run.runbook.watches()), id, "while waiting for lock '" + key + "'", granted,
              breach -> {
                failure = breach;
                granted.complete(false);
              });
          int next = i + 1;
          return granted.thenCompose(ok -> {
            run.waits.release(granted);
            run.clearActive(id);
            if (!ok) {
              run.host.lockManager().release(key, run.runId);
              return CompletableFuture.completedFuture(false);
            }
            taken(key, grant[0]);
            return acquire(keys, next);
          });
        }
        run.waits.release(granted);
        taken(key, token);
      }
      return CompletableFuture.completedFuture(true);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Takes again, under new fencing tokens, the locks of a run resumed in its rollback (it held them
   * when it stopped); a lock another run holds now is left (and logged): the rollback goes on.
   */
  void retake() {
    for (String key : run.plan.locks()) {
      long token = run.host.lockManager().acquire(key, run.runId, run.runbook.name(), LockPolicy.FIFO,
          new LockManager.Waiter() {
            @Override
            public void granted(long t) {
              run.host.lockManager().release(key, run.runId);
            }

            @Override
            public void superseded(String byRunId) {
            }
          });
      if (token == 0) {
        run.host.lockManager().release(key, run.runId);
        log.warn("Run {} ({}) resumes its rollback without lock '{}': run {} holds it now", run.runId,
            run.runbook.name(), key, run.host.lockManager().holder(key));
      } else {
        taken(key, token);
      }
    }
  }

  /** A newer run took this run's place in the queue for {@code key} (latest-wins): this run ends. */
  private void supersededBy(String key, String byRunId) {
    try {
      run.cancel(("lock " + key), "superseded by run " + byRunId + " (lock '" + key + "' is latest-wins)");
    } catch (RuntimeException e) {
      run.halt(e);
    }
  }

  private void taken(String key, long token) {
    synchronized (run) {
      held.put(key, token);
    }
    run.record(new RunEvent.LockChanged(run.runId, key, true, run.now()));
  }

  /** The fencing token under which this run holds {@code key}. */
  OptionalLong fencingToken(String key) {
    synchronized (run) {
      Long t = held.get(key);
      return t == null ? OptionalLong.empty() : OptionalLong.of(t);
    }
  }

  /**
   * The fencing check before a step or compensation that changes something: this run must still
   * hold each of its locks under the token it was granted. A runner that stalled past its lease
   * finds its tokens stale (the run was taken over and its locks granted again) and stops here.
   */
  /** Whether the run holds no lock (read by a caller that holds the run's monitor). */
  boolean noneHeld() {
    return held.isEmpty();
  }

  void checkFence(String stepId) {
    Map<String, Long> copy;
    synchronized (run) {  // entered again by a caller that holds it: cheap next to the lock managers' calls
      if (held.isEmpty()) {
        return;
      }
      copy = new LinkedHashMap<>(held);
    }
    for (Map.Entry<String, Long> e : copy.entrySet()) {
      if (!run.host.lockManager().holds(e.getKey(), run.runId, e.getValue())) {
        throw new LeaseLostException("Run " + run.runId + " (" + run.runbook.name() + ") no longer holds lock '"
            + e.getKey() + "' under fencing token " + e.getValue() + " (held by " + run.host.lockManager().holder(e.getKey())
            + " now); step '" + stepId + "' is not called and this runner stops the run");
      }
    }
  }

  /** Releases every lock the run holds: those this object took, and those its journal says it held. */
  void releaseAll() {
    List<String> keys;
    synchronized (run) {
      Set<String> all = new LinkedHashSet<>(held.keySet());
      all.addAll(run.ledger().locksHeld());
      keys = new ArrayList<>(all);
      held.clear();
    }
    for (String key : keys) {
      run.record(new RunEvent.LockChanged(run.runId, key, false, run.now()));
      run.host.lockManager().release(key, run.runId);
    }
  }
}
