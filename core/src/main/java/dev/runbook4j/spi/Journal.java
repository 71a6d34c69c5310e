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

  /**
   * Appends {@code events} to the log of {@code runId} only if it holds exactly {@code expected}
   * events now and has not ended, all of them or none, atomically: how a decision (an approval, a
   * rejection, a cancel, a gate's timeout) is recorded, so that decisions from several processes
   * happen in one order and the first that closes a gate wins. Any runner may record one (it is not
   * refused for not owning the run); the run's owner keeps it.
   *
   * <p>The default reads and appends under this object's monitor: atomic only for a journal that one
   * object in one process writes.
   *
   * @return true when the events were recorded; false when the log moved (the caller reads it again
   *     and decides again) or the run has ended
   * @throws dev.runbook4j.JournalException when it cannot be recorded; nothing is recorded then
   * @since 0.2
   */
  default boolean appendIf(String runId, long expected, List<RunEvent> events) {
    synchronized (this) {
      List<RunEvent> now = read(runId);
      if (now.size() != expected || (!now.isEmpty() && now.get(now.size() - 1) instanceof RunEvent.RunFinished)) {
        return false;
      }
      events.forEach(this::append);
      return true;
    }
  }

  /** The events of {@code runId}, in append order; empty for an unknown run. */
  List<RunEvent> read(String runId);

  /**
   * A run's events with the result of checking them: {@code problem} names the first event that
   * does not verify, or is empty (also for a journal that cannot tell).
   *
   * @param events the run's events, in append order (empty for an unknown run)
   * @param problem a sentence naming the first bad event, if any
   * @since 0.2
   */
  record Verified(List<RunEvent> events, java.util.Optional<String> problem) {
    public Verified {
      events = List.copyOf(events);
    }
  }

  /**
   * The events of {@code runId}, checked as {@link #problem} checks them, for the engine to rebuild
   * a run from. A journal that can should read them once. Default: {@link #read} and {@link #problem}.
   *
   * @since 0.2
   */
  default Verified readVerified(String runId) {
    return new Verified(read(runId), problem(runId));
  }

  /**
   * How many events each of {@code runIds} holds (a run the journal does not know is left out): the
   * engine compares them with what it wrote, to see decisions other processes recorded. Default:
   * {@link #read} of each.
   *
   * @since 0.2
   */
  default java.util.Map<String, Long> lengths(java.util.Collection<String> runIds) {
    java.util.Map<String, Long> n = new java.util.HashMap<>();
    for (String id : runIds) {
      List<RunEvent> events = read(id);
      if (!events.isEmpty()) {
        n.put(id, (long) events.size());
      }
    }
    return n;
  }

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
