package dev.runbook4j.internal.run;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.Durations;
import dev.runbook4j.Gate;
import dev.runbook4j.GateDecision;
import dev.runbook4j.GateRejectedException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.spi.Cancellable;
import dev.runbook4j.spi.Invocation;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gates: checks with their re-checks and timeout, and approvals — requested, decided (here or by
 * another process: every decision is a conditional journal write, so the first that closes a gate
 * wins), timed out, or cut short by a cancel or a breached watch. What a gate did is the ledger's;
 * what waits here is a pending approval with its future.
 */
final class Gates {
  private static final Logger log = LoggerFactory.getLogger(Gates.class);

  /** An approval gate this object waits at. */
  private static final class Pending {
    final Gate<Object> gate;
    final String id;
    final ApprovalSpec spec;
    final CompletableFuture<Outcome> future = new CompletableFuture<>();
    Cancellable timer;
    /** When the gate times out, or null. */
    Instant deadline;

    Pending(Gate<Object> gate, String id, ApprovalSpec spec) {
      this.gate = gate;
      this.id = id;
      this.spec = spec;
    }
  }

  private final Run run;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  Gates(Run run) {
    this.run = run;
  }

  /** The gates awaiting approval here, in no particular order. */
  List<String> pending() {
    return new ArrayList<>(pending.keySet());
  }

  int pendingCount() {
    return pending.size();
  }

  CompletableFuture<Outcome> gate(Gate<Object> g, Frame frame) {
    String id = frame.child(g.name());
    boolean passed;
    String rejected;
    boolean asked;
    Instant recheckAt;
    Instant deadline;
    int checks;
    synchronized (run) {
      RunLedger.GateRecord r = run.ledger().gateRecord(id);
      passed = r != null && r.passed;
      rejected = r == null ? null : r.rejectedReason;
      asked = r != null && r.approvalRequested;
      recheckAt = r == null ? null : r.recheckAt;
      deadline = r == null ? null : r.deadline;
      checks = r == null ? 0 : r.checks;
    }
    if (passed) {
      return Run.DONE_OK;
    }
    if (rejected != null) {
      return Run.done(onRejection(g, id, rejected));
    }
    if (g.approval().isPresent()) {
      return approval(g, id, frame, asked);
    }
    if (recheckAt != null) {
      return recheck(g, id, frame, deadline, Duration.between(run.now(), recheckAt), checks + 1);
    }
    setRunning(id);
    return check(g, id, frame, g.timeout().map(t -> run.now().plus(t)).orElse(null), 1);
  }

  private void setRunning(String id) {
    run.setActive(id, RunState.RUNNING);
  }

  private CompletableFuture<Outcome> check(Gate<Object> g, String id, Frame frame, Instant deadline, int n) {
    if (run.cancelRequested()) {
      run.clearActive(id);
      return Run.done(run.cancelledOutcome());
    }
    GateDecision d;
    try {
      Contexts.RunCtx ctx = new Contexts.RunCtx(run, frame);
      d = UserCode.result(GateDecision.class, run.calls.call(Invocation.Kind.GATE_CHECK, id, null, n, false,
          () -> g.check().orElseThrow().check(ctx)), "check of gate '" + id + "'");
    } catch (Exception e) {
      d = GateDecision.recheck("its check failed: " + run.describe(e));
    }
    if (d == null) {
      d = GateDecision.recheck("its check returned null");
    }
    switch (d.verdict()) {
      case PASS:
        run.record(new RunEvent.GatePassed(run.runId, id, run.now()));
        run.clearActive(id);
        return Run.DONE_OK;
      case REJECT:
        return Run.done(reject(g, id, run.shown(d.reason())));
      default:
        Instant now = run.now();
        if (deadline != null && !now.isBefore(deadline)) {
          return Run.done(reject(g, id, "timed out after " + Durations.format(g.timeout().orElseThrow()) + " and " + n
              + (n == 1 ? " check" : " checks") + "; last answer: " + run.shown(d.reason())));
        }
        Duration wait = d.after().orElse(g.every());
        if (deadline != null && now.plus(wait).isAfter(deadline)) {
          wait = Duration.between(now, deadline);
        }
        run.record(new RunEvent.GateWaiting(run.runId, id, d.reason(), now.plus(wait), deadline, now));
        return recheck(g, id, frame, deadline, wait, n + 1);
    }
  }

  /**
   * Waits {@code wait} (watches checked meanwhile), then checks the gate again. The run stays
   * {@code WAITING} through its re-checks (a check is part of waiting at the gate): a re-check
   * journals its one answer, not two state changes around it as well (a gate re-checked every
   * minute for 16 h wrote 2,880 events, now 960).
   */
  private CompletableFuture<Outcome> recheck(Gate<Object> g, String id, Frame frame, Instant deadline, Duration wait,
      int n) {
    run.setActive(id, RunState.WAITING);
    return run.waits.pause(wait, frame, id, "while gate '" + id + "' waits to be checked again").thenCompose(o -> {
      if (o != null) {
        run.clearActive(id);
        return Run.done(o);
      }
      return check(g, id, frame, deadline, n);
    });
  }

  private Outcome reject(Gate<Object> g, String id, String reason) {
    run.record(new RunEvent.GateRejected(run.runId, id, reason, run.now()));
    return onRejection(g, id, reason);
  }

  /** What follows a gate's rejection (journaled already). */
  private Outcome onRejection(Gate<Object> g, String id, String reason) {
    run.clearActive(id);
    GateRejectedException e = new GateRejectedException(run.runbook.name(), run.runId, id, reason);
    return switch (g.onFailure()) {
      case CONTINUE -> Outcome.OK;
      case ABORT -> Outcome.aborted(e);
      default -> Outcome.failed(e);
    };
  }

  // ---------------------------------------------------------------- approvals

  /** Waits at an approval gate; {@code asked}: the journal has its request already (a rebuilt run). */
  private CompletableFuture<Outcome> approval(Gate<Object> g, String id, Frame frame, boolean asked) {
    ApprovalSpec spec = g.approval().orElseThrow();
    Pending pa = new Pending(g, id, spec);
    String where = "while gate '" + id + "' awaits approval";
    if (asked) {
      Outcome breach = run.waits.checkFirstIfRebuilt(frame, id, where);  // before it parks again
      if (breach != null) {
        return Run.done(breach);
      }
    }
    if (!asked && !run.runbook.hooks().isEmpty()) {
      // before the request is journaled: no monitor is held while a message goes out
      java.util.Map<String, String> details = run.notifications.details();
      details.put("state", RunState.AWAITING_APPROVAL.name());
      details.put("gate", id);
      details.put("approvers", spec.toString());
      run.notifications.hook(dev.runbook4j.RunHook.AWAITING_APPROVAL, id, details);
    }
    synchronized (run) {
      if (run.cancelRequested()) {
        return Run.done(run.cancelledOutcome());
      }
      Instant deadline;
      if (!asked) {
        deadline = spec.timeout().map(t -> run.now().plus(t)).orElse(null);
        Instant limit = run.deadline();
        if (limit != null && (deadline == null || limit.isBefore(deadline))) {
          deadline = limit;  // the run's timeout comes first
        }
        run.record(new RunEvent.ApprovalRequested(run.runId, id, spec.toString(), spec.minApprovals(), deadline,
            run.now()));
      } else {
        RunLedger.GateRecord r = run.ledger().gateRecord(id);
        deadline = r.approvalDeadline;
        if (r.approvedBy.size() >= spec.minApprovals()) {
          // a journal of an older version: the last approval, without the gate's pass
          run.record(new RunEvent.GatePassed(run.runId, id, run.now()));
          return Run.DONE_OK;
        }
      }
      pa.deadline = deadline;
      pending.put(id, pa);
      run.setActive(id, RunState.AWAITING_APPROVAL);
      Duration left = deadline == null ? ChronoUnit.FOREVER.getDuration() : Duration.between(run.now(), deadline);
      Duration every = frame.watches.stream().map(dev.runbook4j.Watch::every).min(Duration::compareTo).orElse(null);
      // parked until the deadline, a decision, or (with watches in scope) the next watch check
      if (run.waits.tryPark(every != null && every.compareTo(left) < 0 ? every : left, true)) {
        return pa.future;  // never completes: this object is dropped; the run is rebuilt from the journal
      }
      if (deadline != null) {
        pa.timer = run.host.scheduler().schedule(left.isNegative() ? Duration.ZERO : left,
            () -> run.onWorker(() -> timedOut(pa)));
      }
    }
    run.waits.watchWhile(frame, id, where, pa.future, breach -> stop(pa, breach));
    log.info("Run {} ({}): gate '{}' awaits approval: {}", run.runId, run.runbook.name(), id, spec);
    return pa.future;
  }

  /** The approval stops waiting with {@code o} (a breached watch). */
  private void stop(Pending pa, Outcome o) {
    synchronized (run) {
      if (pending.remove(pa.id, pa)) {
        if (pa.timer != null) {
          pa.timer.cancel();
        }
        run.clearActive(pa.id);
      }
    }
    pa.future.complete(o);
  }

  private void timedOut(Pending pa) {
    Outcome o;
    try {
      while (true) {
        synchronized (run) {
          if (pa.future.isDone() || pending.get(pa.id) != pa) {
            return;  // decided meanwhile, here or by another process
          }
          RunLedger.GateRecord r = run.ledger().gateRecord(pa.id);
          Instant limit = run.deadline();
          String reason = "only " + r.approvedBy.size() + " of " + pa.spec.minApprovals() + " approvals "
              + (r.approvedBy.isEmpty() ? "" : r.approvedBy + " ") + "arrived "
              + (limit != null && pa.deadline != null && pa.deadline.equals(limit)
                  ? "before the run's timeout of " + Durations.format(run.runbook.timeout().orElseThrow())
                  : "within " + Durations.format(pa.spec.timeout().orElseThrow()));
          try {
            // a decision like any other: recorded only if no approval or rejection came first
            run.cancel.recordDecision(List.of(new RunEvent.GateRejected(run.runId, pa.id, reason, run.now())));
          } catch (Run.DecisionRaced raced) {
            run.cancel.catchUp();
            continue;
          }
          pending.remove(pa.id);
          o = onRejection(pa.gate, pa.id, reason);
          break;
        }
      }
    } catch (RuntimeException e) {
      o = run.internalError(e);
    }
    pa.future.complete(o);
  }

  private Pending pendingAt(String gate) {
    Pending pa = pending.get(gate);
    if (pa == null) {
      for (Pending p : pending.values()) {
        if (p.gate.name().equals(gate)) {
          if (pa != null) {
            throw new ApprovalException("Gate name '" + gate + "' is awaiting approval more than once in run "
                + run.runId + "; use the gate id, one of " + pending.keySet());
          }
          pa = p;
        }
      }
    }
    if (pa == null) {
      String how = decidedAlready(gate);
      if (how != null) {
        throw new ApprovalException("Gate '" + gate + "' of run " + run.runId + " (" + run.runbook.name() + ") has"
            + " been decided already: " + how + "; this decision was not recorded");
      }
      throw new ApprovalException("Gate '" + gate + "' of run " + run.runId + " (" + run.runbook.name()
          + ") is not awaiting approval (run is " + run.state() + (pending.isEmpty() ? "" : "; awaiting: "
          + pending.keySet()) + ")");
    }
    return pa;
  }

  /** How the approval gate {@code gate} (an id or a name) was decided, by the ledger; null if it was not. */
  private String decidedAlready(String gate) {
    for (Map.Entry<String, RunLedger.GateRecord> e : run.ledger().gates().entrySet()) {
      RunLedger.GateRecord g = e.getValue();
      if ((e.getKey().equals(gate) || e.getKey().endsWith("/" + gate)) && g.approvalRequested && g.closed()) {
        return g.how();
      }
    }
    return null;
  }

  private void checkDecider(Pending pa, String user) {
    if (user == null || user.isBlank()) {
      throw new ApprovalException("An approval of gate '" + pa.id + "' of run " + run.runId + " names no user");
    }
    if (user.equals(run.requester) && !pa.spec.requesterMayApprove()) {
      throw new ApprovalException("User '" + user + "' requested run " + run.runId + " (" + run.runbook.name()
          + ") and may not approve or reject its gate '" + pa.id + "'; ask another approver (" + pa.spec + ")");
    }
    if (!pa.spec.mayApprove(user)) {
      throw new ApprovalException("User '" + user + "' may not approve or reject gate '" + pa.id + "' of run "
          + run.runId + " (" + run.runbook.name() + "); it needs " + pa.spec);
    }
  }

  /** A gate whose deadline passed takes no more decisions (its timeout is the decision). */
  private void checkOpen(Pending pa, String user) {
    if (pa.deadline != null && !run.now().isBefore(pa.deadline)) {
      throw new ApprovalException("Gate '" + pa.id + "' of run " + run.runId + " (" + run.runbook.name()
          + ") timed out at " + pa.deadline + "; the decision of '" + user + "' was not recorded");
    }
  }

  RunStatus approve(String gate, String user, String comment, String planHash, String choice) {
    synchronized (run) {
      run.checkNotParked();
      Pending pa = pendingAt(gate);
      if (planHash != null && !planHash.equals(run.plan.hash())) {
        throw new ApprovalException("The approval of gate '" + pa.id + "' by '" + user + "' was given for plan "
            + abbreviate(planHash) + ", but run " + run.runId + " runs plan " + abbreviate(run.plan.hash())
            + "; review the run's plan and approve again");
      }
      checkDecider(pa, user);
      checkOpen(pa, user);
      java.util.Set<String> approvedBy = run.ledger().gateRecord(pa.id).approvedBy;
      if (approvedBy.contains(user)) {
        return run.status();
      }
      List<RunEvent> decision = new ArrayList<>(2);
      RunLedger.Rules.checkChoice(pa.spec, pa.id, run.runId, choice);
      decision.add(new RunEvent.ApprovalGranted(run.runId, pa.id, user, comment == null ? "" : comment,
          run.plan.hash(), choice, run.now()));
      if (approvedBy.size() + 1 >= pa.spec.minApprovals()) {
        decision.add(new RunEvent.GatePassed(run.runId, pa.id, run.now()));
      }
      run.cancel.recordDecision(decision);  // durable before it is acknowledged
      decided();
    }
    return run.status();
  }

  RunStatus reject(String gate, String user, String reason) {
    synchronized (run) {
      run.checkNotParked();
      Pending pa = pendingAt(gate);
      checkDecider(pa, user);
      checkOpen(pa, user);
      run.cancel.recordDecision(List.of(new RunEvent.GateRejected(run.runId, pa.id, "rejected by " + user
          + (reason == null || reason.isBlank() ? "" : ": " + reason), run.now())));
      decided();
    }
    return run.status();
  }

  /**
   * Ends the waits of the approval gates the ledger says were decided (here, or by another process):
   * once each. Returns the ids of the gates it closed. Holds the run.
   */
  List<String> decided() {
    List<String> closed = new ArrayList<>();
    for (Pending pa : List.copyOf(pending.values())) {
      RunLedger.GateRecord r = run.ledger().gateRecord(pa.id);
      if (r == null || !r.closed() || pa.future.isDone()) {
        continue;
      }
      pending.remove(pa.id);
      if (pa.timer != null) {
        pa.timer.cancel();
      }
      Outcome o;
      if (r.passed) {
        run.clearActive(pa.id);
        o = Outcome.OK;
      } else {
        o = onRejection(pa.gate, pa.id, r.rejectedReason);
      }
      closed.add(pa.id);
      run.onWorker(() -> pa.future.complete(o));
    }
    return closed;
  }

  /** Ends every approval wait: the run was cancelled. Holds the run. */
  void cancelled() {
    List<Pending> waiting = new ArrayList<>(pending.values());
    pending.clear();
    for (Pending pa : waiting) {
      if (pa.timer != null) {
        pa.timer.cancel();
      }
      run.clearActive(pa.id);
      run.onWorker(() -> pa.future.complete(run.cancelledOutcome()));
    }
  }

  private static String abbreviate(String hash) {
    return hash == null ? "none" : hash.substring(0, Math.min(12, hash.length()));
  }
}
