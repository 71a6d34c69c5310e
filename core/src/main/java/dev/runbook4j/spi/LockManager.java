package dev.runbook4j.spi;

import dev.runbook4j.LockPolicy;
import org.apiguardian.api.API;

/**
 * Serialises runs on one target. A lock belongs to a run (not to a process): it is held until the
 * run releases it, and each grant carries a <em>fencing token</em>, a number that grows with every
 * grant of the key. When another runner takes a run over, it takes the run's locks again under a
 * new token, so a stalled runner that comes back holds a stale token and is refused.
 *
 * <p>The default keeps the locks of one engine in memory; a durable journal that several runners
 * share brings its own (see {@link Journal#lockManager()}).
 *
 * <p>Implementations must be threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface LockManager {
  /** Told what happened to a run that queued for a lock. Called at most once, on any thread. */
  interface Waiter {
    /** The run now holds the lock under {@code token}. */
    void granted(long token);

    /** A newer run asked for the lock under {@link LockPolicy#LATEST_WINS}; this run no longer waits. */
    void superseded(String byRunId);
  }

  /**
   * Takes {@code key} for {@code runId} and returns its fencing token (a positive number), or
   * queues the run and returns 0; then {@code waiter} hears of the grant or of a newer run
   * superseding it. Taking a key the run already holds grants it again under a new token.
   *
   * @throws dev.runbook4j.LockUnavailableException under {@link LockPolicy#FAIL_FAST} when another
   *     run holds the key
   */
  long acquire(String key, String runId, String runbook, LockPolicy policy, Waiter waiter);

  /** Releases {@code key} if {@code runId} holds it, or leaves the queue; hands it to the next. */
  void release(String key, String runId);

  /** The run holding {@code key}, or {@code null}. */
  String holder(String key);

  /** Whether {@code runId} still holds {@code key} under {@code token}: the fencing check. */
  boolean holds(String key, String runId, long token);

  /**
   * Releases {@code key} whoever holds it (an operator resolving a run that ended with its lock
   * held) and hands it to the next run; returns the run that held it, or {@code null}.
   */
  String forceRelease(String key);

  /**
   * Every lock this manager knows that is held or waited for, by key. Default: empty (a manager
   * that cannot list its locks).
   *
   * @since 0.2
   */
  default java.util.List<dev.runbook4j.LockInfo> list() {
    return java.util.List.of();
  }

  /**
   * Delivers grants and supersessions decided by other processes to this process's waiters. The
   * engine calls it on every heartbeat; a manager that sees every change itself does nothing.
   */
  default void poll() {
  }
}
