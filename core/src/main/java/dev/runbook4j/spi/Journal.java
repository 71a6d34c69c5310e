package dev.runbook4j.spi;

import dev.runbook4j.RunEvent;
import java.util.List;
import org.apiguardian.api.API;

/**
 * The durable record of runs: an append-only log of {@link RunEvent}s per run. The engine is
 * write-ahead: it appends a step's intent before calling its action and never calls an action
 * whose intent could not be appended.
 *
 * <p>Implementations must be threadsafe, keep each run's events in append order, and make an event
 * durable before {@link #append} returns.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Journal {
  /**
   * Appends {@code event} to its run's log.
   *
   * @throws dev.runbook4j.JournalException when it cannot be recorded; nothing is recorded then
   */
  void append(RunEvent event);

  /** The events of {@code runId}, in append order; empty for an unknown run. */
  List<RunEvent> read(String runId);

  /** The ids of every run in the journal, oldest first. */
  List<String> runIds();

  /**
   * The ids of the runs that have not ended, oldest first, for a journal that can tell without
   * reading them (a restart resumes these). Default: {@link #runIds()} (the caller reads each run).
   */
  default List<String> unfinishedRunIds() {
    return runIds();
  }

  /**
   * Checks the integrity of a run's events, for journals that can (a hash chain). The engine
   * refuses to resume a run that does not verify.
   *
   * @return a sentence naming the first bad event, or empty when the run verifies (or the journal
   *     cannot tell)
   */
  default java.util.Optional<String> problem(String runId) {
    return java.util.Optional.empty();
  }

  /**
   * A hint that the engine will not write {@code runId} for a while (the run parked, waiting in the
   * journal): a journal may drop what it holds in memory for that run's next append. Default: nothing.
   */
  default void idle(String runId) {
  }

  /**
   * The locks this journal keeps durably for the runners that share it, if it does; the engine uses
   * them unless it is given a lock manager.
   */
  default java.util.Optional<LockManager> lockManager() {
    return java.util.Optional.empty();
  }

  /**
   * Where this journal keeps parked runs, if it does: then an engine keeps nothing of a parked run
   * in memory. Default: empty (the engine keeps a small entry per parked run).
   */
  default java.util.Optional<ParkedRuns> parkedRuns() {
    return java.util.Optional.empty();
  }

  /** The run leases of this journal, if several runners can share it. */
  default java.util.Optional<RunLeases> leases() {
    return java.util.Optional.empty();
  }
}
