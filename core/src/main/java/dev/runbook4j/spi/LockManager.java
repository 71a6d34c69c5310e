package dev.runbook4j.spi;

import org.apiguardian.api.API;

/**
 * Serialises runs on one target. The default keeps a FIFO queue per key in memory; the durable
 * journals bring leases and fencing tokens.
 *
 * <p>Implementations must be threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface LockManager {
  /**
   * Takes {@code key} for {@code runId} now and returns true, or queues the run and returns false;
   * {@code onAcquired} runs when a queued run gets the lock. Taking a key the run already holds
   * returns true.
   */
  boolean acquire(String key, String runId, Runnable onAcquired);

  /** Releases {@code key} if {@code runId} holds it, or leaves the queue; hands it to the next. */
  void release(String key, String runId);

  /** The run holding {@code key}, or {@code null}. */
  String holder(String key);
}
