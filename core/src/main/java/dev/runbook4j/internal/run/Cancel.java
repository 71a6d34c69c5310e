package dev.runbook4j.internal.run;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunStatus;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decisions on a run and how it learns them: a decision (an approval, a rejection, a gate's
 * timeout, a cancel) is journaled only if the journal holds exactly what this object knows
 * ({@code Journal.appendIf}), so the first decision that closes a gate wins whichever process takes
 * it; a decision another process wrote is learnt by reading the journal again ({@link #catchUp}),
 * the ledger folded anew from it, and what the new ledger says decided is applied once. A cancel
 * interrupts the action in flight, ends waits and approvals, and rolls the run back.
 */
final class Cancel {
  private static final Logger log = LoggerFactory.getLogger(Cancel.class);

  private final Run run;

  Cancel(Run run) {
    this.run = run;
  }

  RunStatus request(String by, String reason) {
    synchronized (run) {
      run.checkNotParked();
      RunLedger l = run.ledger();
      if (run.state().isTerminal() || l.cancel() != null) {
        return run.status();  // ended, or cancelled already: nothing is journaled
      }
      recordDecision(List.of(new RunEvent.CancelRequested(run.runId, by, reason == null ? "" : reason, run.now())));
      if (l.rollback() != null) {
        log.info("Run {} ({}): cancel by {} recorded; the rollback goes on", run.runId, run.runbook.name(), by);
        return run.status();
      }
      cancelled();
    }
    return run.status();
  }

  /** What follows a journaled cancel: the action in flight is interrupted, waits and approvals end. Holds the run. */
  private void cancelled() {
    run.calls.interruptAll();
    run.waits.cancelled();
    run.gates.cancelled();
  }

  /**
   * Records a decision only if the journal holds exactly what this object knows. Holds the run.
   *
   * @throws Run.DecisionRaced when the journal moved (another process wrote); nothing is recorded
   */
  void recordDecision(List<RunEvent> events) {
    if (run.storageError() != null) {
      throw new JournalException("Run " + run.runId + " is paused on a storage error; this decision was not"
          + " recorded", null);
    }
    RunLedger l = run.ledger();
    boolean recorded;
    try {
      recorded = run.host.journal().appendIf(run.runId, l.events(), events);
    } catch (JournalException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new JournalException("The journal could not record a decision on run " + run.runId + " ("
          + run.runbook.name() + "): " + e.getMessage(), e);
    }
    if (!recorded) {
      throw new Run.DecisionRaced();
    }
    for (RunEvent e : events) {
      l.apply(e);
    }
    for (RunEvent e : events) {
      run.host.dispatch(run, e);
    }
  }

  /**
   * Reads the run's journal again, folds the ledger anew from it and applies what other processes
   * decided meanwhile; this engine's listeners hear of each such decision once.
   */
  void catchUp() {
    List<RunEvent> learnt = new ArrayList<>();
    synchronized (run) {
      dev.runbook4j.spi.Journal.Verified read = run.host.journal().readVerified(run.runId);
      if (read.problem().isPresent()) {
        // what another process wrote does not verify (a forged decision?): nothing of it is acted on
        run.halt(new dev.runbook4j.JournalException("Run " + run.runId + " does not verify: " + read.problem().get()
            + "; it stops here, and nothing the journal holds now is acted on", null));
        return;
      }
      List<RunEvent> events = read.events();
      RunLedger was = run.ledger();
      if (events.size() <= was.events()) {
        return;
      }
      RunLedger now = RunLedger.fold(run.runId, events);
      for (RunEvent e : events) {
        if (isNew(e, was, now)) {
          learnt.add(e);
        }
      }
      run.replaceLedger(now);
      if (was.cancel() == null && now.cancel() != null && !run.state().isTerminal()) {
        cancelled();
      }
      for (RunEvent e : learnt) {
        if (e instanceof RunEvent.WaitSkipped s) {
          run.waits.ended(s.waitId());
        }
      }
      run.gates.decided();
    }
    for (RunEvent e : learnt) {
      run.host.dispatch(run, e);
    }
  }

  /** Whether {@code e} is a decision the ledger {@code was} did not know. */
  private static boolean isNew(RunEvent e, RunLedger was, RunLedger now) {
    if (e instanceof RunEvent.CancelRequested) {
      return was.cancel() == null && now.cancel() == e;
    }
    if (e instanceof RunEvent.WaitSkipped s) {
      return !was.waitOver(s.waitId());
    }
    String gate = e instanceof RunEvent.ApprovalGranted a ? a.gateId() : e instanceof RunEvent.GatePassed g
        ? g.gateId() : e instanceof RunEvent.GateRejected r ? r.gateId() : null;
    if (gate == null) {
      return false;
    }
    RunLedger.GateRecord before = was.gateRecord(gate);
    if (e instanceof RunEvent.ApprovalGranted a) {
      return before == null || !before.approvedBy.contains(a.user());
    }
    return before == null || !before.closed();
  }
}
