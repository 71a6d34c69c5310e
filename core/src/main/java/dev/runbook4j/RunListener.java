package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * Receives every event of every run, after it is journaled, on the thread that produced it. A
 * listener that throws is logged and counted ({@link RunStatus#listenerFailures()}); it never breaks
 * a run.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface RunListener {
  void onEvent(RunEvent event);

  /**
   * The journal could not record an event of a run, so the run stopped before anything that event
   * announces (no action is called without its intent recorded). This is not an event: it could
   * not be journaled. The engine tries again at {@link StoragePause#nextTry()}, with growing delays;
   * {@link #onStorageRecovered} follows once the journal records the run's events again.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  default void onStoragePaused(StoragePause pause) {}

  /**
   * The run paused on a storage error goes on: the journal recorded its next event.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  default void onStorageRecovered(String runId) {}

  /**
   * A run paused on a storage error.
   *
   * @param runId the run
   * @param problem the storage error, scrubbed of the run's secrets
   * @param nextTry when the engine tries again
   * @param tries how many times the run stopped on it in a row (1 the first time)
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  record StoragePause(String runId, String problem, java.time.Instant nextTry, int tries) {}
}
