package dev.runbook4j.internal.engine;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.Gate;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Runbook;
import dev.runbook4j.UnknownRunException;
import dev.runbook4j.internal.run.RunLedger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Approvals and rejections of runs this engine does not hold (driven by another process, parked
 * there, or orphaned): taken on the run's journal alone, with no run rebuilt and no user code
 * called. The gate's rules come from the runbook; whether it is still open (not passed, rejected
 * or timed out), from the journal; and the decision is written only if the journal has not moved
 * since it was read, so that the first decision that closes a gate wins.
 */
final class Decisions {
  private Decisions() {}

  /**
   * Records the decision, or returns null when the journal moved meanwhile (the caller reads it
   * again and decides again).
   *
   * @throws ApprovalException when the decision may not be taken: the run has ended, the gate is not
   *     waiting or was decided already, it timed out, or the user may not decide on it
   */
  static RunStatus decide(Services engine, String runId, String gate, String user, boolean approve,
      String text, String planHash, String choice) {
    List<RunEvent> events = verifiedEvents(engine, runId);
    RunLedger h = RunLedger.fold(runId, events);
    String runbookName = h.started().runbook();
    if (h.finished() != null) {
      throw new ApprovalException("Run " + runId + " (" + runbookName + ") has ended " + h.finished().state()
          + "; there is nothing to decide");
    }
    String id = gateId(h, runId, runbookName, gate);
    RunLedger.GateRecord g = h.gateRecord(id);
    if (g.passed() || g.rejectedReason() != null) {
      throw new ApprovalException("Gate '" + gate + "' of run " + runId + " (" + runbookName + ") has been decided"
          + " already: " + (g.passed() ? "passed, approved by " + String.join(", ", g.approvedBy()) : g.rejectedReason())
          + "; this decision was not recorded");
    }
    boolean rollbackGate = id.startsWith("rollback/") && !id.substring(9).contains("/");
    if ((h.rollback() != null && !rollbackGate) || (h.cancel() != null && !rollbackGate)) {
      throw new ApprovalException("Run " + runId + " (" + runbookName + ") is " + (h.rollback() != null
          ? "rolling back" : "cancelled") + "; its gate '" + gate + "' takes no more decisions");
    }
    Instant now = engine.now();
    if (g.approvalDeadline() != null && !now.isBefore(g.approvalDeadline())) {
      throw new ApprovalException("Gate '" + id + "' of run " + runId + " (" + runbookName + ") timed out at "
          + g.approvalDeadline() + "; the decision of '" + user + "' was not recorded");
    }
    Runbook<?> runbook = runbookOf(engine, runId, runbookName);
    Gate<?> node = rollbackGate ? runbook.rollbackGate().filter(rg -> id.equals("rollback/" + rg.name())).orElse(null)
        : dev.runbook4j.internal.run.RunLedger.Rules.find(runbook.nodes(), id, Gate.class);
    if (node == null || node.approval().isEmpty()) {
      throw new ApprovalException("Run " + runId + " waits for approval at gate '" + id + "', which runbook '"
          + runbookName + "' as given has no approval gate for; decide with the runbook it was started with");
    }
    ApprovalSpec spec = node.approval().get();
    if (user == null || user.isBlank()) {
      throw new ApprovalException("An approval of gate '" + id + "' of run " + runId + " names no user");
    }
    if (user.equals(h.started().requester()) && !spec.requesterMayApprove()) {
      throw new ApprovalException("User '" + user + "' requested run " + runId + " (" + runbookName
          + ") and may not approve or reject its gate '" + id + "'; ask another approver (" + spec + ")");
    }
    if (!spec.mayApprove(user)) {
      throw new ApprovalException("User '" + user + "' may not approve or reject gate '" + id + "' of run " + runId
          + " (" + runbookName + "); it needs " + spec);
    }
    String hash = h.planHash();
    if (approve && planHash != null && !planHash.equals(hash)) {
      throw new ApprovalException("The approval of gate '" + id + "' by '" + user + "' was given for plan "
          + abbreviate(planHash) + ", but run " + runId + " runs plan " + abbreviate(hash)
          + "; review the run's plan and approve again");
    }
    List<RunEvent> decision = new ArrayList<>(2);
    if (approve) {
      if (g.approvedBy().contains(user)) {
        return Rebuilds.status(engine.journal, runId);  // the same person again counts once
      }
      dev.runbook4j.internal.run.RunLedger.Rules.checkChoice(spec, id, runId, choice);
      decision.add(new RunEvent.ApprovalGranted(runId, id, user, text == null ? "" : text, hash, choice, now));
      if (g.approvedBy().size() + 1 >= spec.minApprovals()) {
        decision.add(new RunEvent.GatePassed(runId, id, now));
      }
    } else {
      decision.add(new RunEvent.GateRejected(runId, id, "rejected by " + user
          + (text == null || text.isBlank() ? "" : ": " + text), now));
    }
    if (!engine.journal.appendIf(runId, events.size(), decision)) {
      return null;
    }
    return Rebuilds.status(engine.journal, runId);
  }

  /** The id of the gate named {@code gate} (an id, or a name) that asked for approval in the run. */
  private static String gateId(RunLedger h, String runId, String runbook, String gate) {
    List<String> waiting = new ArrayList<>();
    List<String> decided = new ArrayList<>();
    for (Map.Entry<String, RunLedger.GateRecord> e : h.gates().entrySet()) {
      String id = e.getKey();
      if (!e.getValue().approvalRequested() || !(id.equals(gate) || id.endsWith("/" + gate))) {
        continue;
      }
      if (id.equals(gate)) {
        return id;
      }
      (e.getValue().passed() || e.getValue().rejectedReason() != null ? decided : waiting).add(id);
    }
    if (waiting.size() == 1) {
      return waiting.get(0);
    }
    if (waiting.size() > 1) {
      throw new ApprovalException("Gate name '" + gate + "' is awaiting approval more than once in run " + runId
          + "; use the gate id, one of " + waiting);
    }
    if (!decided.isEmpty()) {
      return decided.get(decided.size() - 1);
    }
    throw new ApprovalException("Gate '" + gate + "' of run " + runId + " (" + runbook + ") is not awaiting approval"
        + " (run is " + h.state() + (h.awaiting().isEmpty() ? "" : "; awaiting: " + h.awaiting()) + ")");
  }

  /**
   * Records {@code user}'s skip of the wait {@code waitId} of a run this engine does not hold, in
   * the journal: the same conditional write as a gate's decision. Null when the journal moved
   * meanwhile (read again, decide again).
   */
  static RunStatus skipWait(Services engine, String runId, String waitId, String user, String reason) {
    List<RunEvent> events = verifiedEvents(engine, runId);
    RunLedger h = RunLedger.fold(runId, events);
    String runbookName = h.started().runbook();
    Runbook<?> runbook = runbookOf(engine, runId, runbookName);
    dev.runbook4j.Wait<?> w = dev.runbook4j.internal.run.RunLedger.Rules.find(runbook.nodes(), waitId,
        dev.runbook4j.Wait.class);
    dev.runbook4j.internal.run.RunLedger.Rules.checkSkip(w, waitId, runId, runbookName, user, h.started().requester(),
        h.finished() != null || h.rollback() != null || h.cancel() != null, h.waitStarted(waitId), h.waitOver(waitId));
    List<RunEvent> decision = List.of(new RunEvent.WaitSkipped(runId, waitId, user, reason == null ? "" : reason,
        engine.now()));
    if (!engine.journal.appendIf(runId, events.size(), decision)) {
      return null;
    }
    return Rebuilds.status(engine.journal, runId);
  }

  /** The run's events, verified, with its start: what every decision through the journal reads first. */
  private static List<RunEvent> verifiedEvents(Services engine, String runId) {
    dev.runbook4j.spi.Journal.Verified read = engine.journal.readVerified(runId);
    List<RunEvent> events = read.events();
    if (events.isEmpty()) {
      throw new UnknownRunException(runId);
    }
    if (read.problem().isPresent()) {
      throw new dev.runbook4j.JournalException("Run " + runId + " does not verify: " + read.problem().get()
          + "; no decision was recorded on it", null);
    }
    if (events.stream().noneMatch(RunEvent.RunStarted.class::isInstance)) {
      throw new dev.runbook4j.JournalException("Run " + runId + " has no RunStarted event in " + engine.journal, null);
    }
    return events;
  }

  /** The runbook of a run this engine decides on: one it was given ({@code runbooks(...)}). */
  private static Runbook<?> runbookOf(Services engine, String runId, String runbookName) {
    Runbook<?> runbook = engine.catalog.get(runbookName);
    if (runbook == null) {
      throw new ApprovalException("Run " + runId + " (" + runbookName + ") is not held by this engine; to decide on"
          + " it here, give this engine its runbook: RunbookEngine.builder().runbooks(...)");
    }
    return runbook;
  }

  private static String abbreviate(String hash) {
    return hash == null ? "none" : hash.substring(0, Math.min(12, hash.length()));
  }
}
