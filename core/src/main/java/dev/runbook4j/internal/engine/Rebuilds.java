package dev.runbook4j.internal.engine;

import dev.runbook4j.JournalException;
import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.UnknownRunException;
import dev.runbook4j.internal.run.Run;
import dev.runbook4j.internal.run.RunLedger;
import dev.runbook4j.spi.EventCodec;
import dev.runbook4j.spi.Journal;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The one way a run is rebuilt from its journal — after a restart, a takeover, parking, or a
 * storage error: its events read once and verified ({@link #read}), folded into its ledger, checked
 * against the runbook given (its name, its plan), and handed to a new run object that goes on from
 * where the ledger says it was ({@link #run}). And a run's status read from its journal alone.
 */
final class Rebuilds {
  private Rebuilds() {}

  /**
   * A run's journal, read and verified: its ledger, and the problem that stops it from going on, if
   * any (it does not verify, or has no {@code RunStarted}).
   */
  record Read(RunLedger ledger, String problem) {}

  /**
   * Reads the run's events once, verified, and folds them.
   *
   * @throws UnknownRunException when the journal has no event of it
   * @throws JournalException when it cannot be read
   */
  static Read read(Journal journal, String runId) {
    Journal.Verified v = journal.readVerified(runId);
    if (v.events().isEmpty()) {
      throw new UnknownRunException(runId);
    }
    RunLedger ledger = RunLedger.fold(runId, v.events());
    if (v.problem().isPresent()) {
      return new Read(ledger, "Run " + runId + " does not verify: " + v.problem().get() + ". It is left as it is (no"
          + " forward progress, no rollback); restore the journal or resolve the run by hand");
    }
    if (ledger.started() == null) {
      return new Read(ledger, "Run " + runId + " has no RunStarted event in " + journal);
    }
    return new Read(ledger, null);
  }

  /** {@link #read}, refusing a run that does not verify. */
  static RunLedger verified(Journal journal, String runId) {
    Read r = read(journal, runId);
    if (r.problem() != null) {
      throw new JournalException(r.problem(), null);
    }
    return r.ledger();
  }

  /**
   * A run object for a run whose ledger was read: with {@code params} as given, or read back from
   * the journal when null.
   *
   * @throws RunbookDefinitionException when the runbook is not the run's, or makes another plan
   */
  @SuppressWarnings("unchecked")
  static Run run(Services services, RunLedger ledger, Runbook<?> runbook, Object params,
      CompletableFuture<RunResult> done, Run.Purpose purpose) {
    RunEvent.RunStarted started = ledger.started();
    if (!started.runbook().equals(runbook.name())) {
      throw new RunbookDefinitionException("Resuming run '" + ledger.runId() + "'", List.of("it is a run of runbook '"
          + started.runbook() + "', not of '" + runbook.name() + "'"));
    }
    Runbook<Object> rb = (Runbook<Object>) runbook;
    Object p = params != null ? params : EventCodec.params(started.params(), rb.parameterType());
    Plan plan = Plan.of(rb, p);
    String mismatch = planMismatch(rb, plan, ledger.planHash());
    if (mismatch != null) {
      throw new RunbookDefinitionException("Resuming run '" + ledger.runId() + "'", List.of(mismatch));
    }
    return new Run(services, ledger.runId(), rb, p, started.requester(), plan, ledger, done, purpose);
  }

  /** Why {@code runbook} may not go on with a run started with plan {@code was}; null when it may. */
  static String planMismatch(Runbook<?> runbook, Plan plan, String was) {
    if (plan.hash().equals(was) || runbook.compatiblePlans().contains(was)) {
      return null;
    }
    return "it was started with plan " + was.substring(0, 12) + ", but this runbook makes plan "
        + plan.hash().substring(0, 12) + "; resume it with the runbook it was started with, or declare"
        + " compatibleWith(\"" + was + "\") in this one";
  }

  /** A start of run id {@code runId} must be the run that has it: the same runbook and plan. */
  static void sameRun(String runId, String runbook, String hash, String newRunbook, String newHash) {
    if (!runbook.equals(newRunbook) || !hash.equals(newHash)) {
      throw new RunbookDefinitionException("Run id '" + runId + "'", List.of("it is taken by a run of runbook '"
          + runbook + "' with plan " + hash.substring(0, Math.min(12, hash.length())) + "; this start has runbook '"
          + newRunbook + "' and plan " + newHash.substring(0, 12) + " (other parameters?); choose another run id"));
    }
  }

  /** The status of a run from its journal alone. */
  static RunStatus status(Journal journal, String runId) {
    List<RunEvent> events = journal.read(runId);
    if (events.isEmpty()) {
      throw new UnknownRunException(runId);
    }
    RunLedger h = RunLedger.fold(runId, events);
    RunEvent.RunStarted s = h.started();
    boolean ended = h.finished() != null;
    return new RunStatus(runId, s == null ? "" : s.runbook(), h.state(), s == null ? "" : s.requester(),
        s == null ? "" : h.planHash(), ended ? List.of() : h.active(), ended ? List.of() : h.awaiting(), h.startOrder(),
        h.compensated(), Optional.ofNullable(h.rollback()).map(RunEvent.RollbackStarted::cause), 0,
        events.get(events.size() - 1).at());
  }
}
