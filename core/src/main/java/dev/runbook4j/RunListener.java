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
}
