package dev.runbook4j.internal;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's journal folded into what resume needs: what each node had done when the process
 * stopped. No user code runs to build it.
 */
final class History {
  /** What one step had done. */
  static final class StepRecord {
    int lastAttempt;
    boolean outcomeKnown;
    boolean succeeded;
    Object output;
    boolean failedForGood;
    boolean failureIgnored;
    String lastError;
    int nextAttempt;
    Instant nextAttemptAt;
  }

  /** What one gate had done. */
  static final class GateRecord {
    boolean passed;
    String rejectedReason;
    boolean approvalRequested;
    Instant approvalDeadline;
    final Set<String> approvedBy = new LinkedHashSet<>();
    Instant recheckAt;
    Instant deadline;
    /** Checks that answered "not yet". */
    int checks;
  }

  /** What one wait had done. */
  static final class WaitRecord {
    Instant deadline;
    boolean finished;
  }

  final String runId;
  RunEvent.RunStarted started;
  final List<String> startOrder = new ArrayList<>();
  final Map<String, StepRecord> steps = new HashMap<>();
  final Map<String, GateRecord> gates = new java.util.LinkedHashMap<>();
  final Map<String, WaitRecord> waits = new java.util.LinkedHashMap<>();
  boolean cancelRequested;
  String cancelledBy;
  String cancelReason;
  RunEvent.RollbackStarted rollback;
  final Set<String> compensated = new LinkedHashSet<>();
  final Set<String> compensationFailed = new LinkedHashSet<>();
  final Set<String> skipped = new LinkedHashSet<>();
  final Map<String, Integer> compensationAttempts = new HashMap<>();
  /** The locks the run held when its journal ends (taken and not released), in the order taken. */
  final Set<String> locksHeld = new LinkedHashSet<>();
  /** The locks the run waits for, in the order it queued. */
  final Set<String> locksWaited = new LinkedHashSet<>();
  RunState state = RunState.RUNNING;
  RunEvent.RunFinished finished;
  int events;

  private History(String runId) {
    this.runId = runId;
  }

  static History fold(String runId, List<RunEvent> events) {
    History h = new History(runId);
    for (RunEvent e : events) {
      h.apply(e);
    }
    return h;
  }

  /** The gates awaiting approval, in the order they asked. */
  List<String> awaiting() {
    List<String> ids = new ArrayList<>();
    gates.forEach((id, g) -> {
      if (g.approvalRequested && !g.passed && g.rejectedReason == null) {
        ids.add(id);
      }
    });
    return ids;
  }

  /** The waits, gates and lock waits in progress. */
  List<String> active() {
    List<String> ids = new ArrayList<>();
    if (finished == null) {
      locksWaited.forEach(k -> ids.add("lock:" + k));
    }
    waits.forEach((id, w) -> {
      if (!w.finished) {
        ids.add(id);
      }
    });
    gates.forEach((id, g) -> {
      if (!g.passed && g.rejectedReason == null) {
        ids.add(id);
      }
    });
    return ids;
  }

  private StepRecord step(String id) {
    return steps.computeIfAbsent(id, k -> new StepRecord());
  }

  private GateRecord gate(String id) {
    return gates.computeIfAbsent(id, k -> new GateRecord());
  }

  private void apply(RunEvent e) {
    events++;
    if (e instanceof RunEvent.RunStarted s) {
      started = s;
    } else if (e instanceof RunEvent.StepStarted s) {
      StepRecord r = step(s.stepId());
      if (r.lastAttempt == 0) {
        startOrder.add(s.stepId());
      }
      r.lastAttempt = s.attempt();
      r.outcomeKnown = false;
      r.nextAttemptAt = null;
    } else if (e instanceof RunEvent.StepSucceeded s) {
      StepRecord r = step(s.stepId());
      r.outcomeKnown = true;
      r.succeeded = true;
      r.output = s.output();
    } else if (e instanceof RunEvent.StepReconciled s) {
      StepRecord r = step(s.stepId());
      r.outcomeKnown = true;
      r.succeeded = true;
      r.output = s.output();
    } else if (e instanceof RunEvent.StepFailed s) {
      StepRecord r = step(s.stepId());
      r.outcomeKnown = true;
      r.lastError = s.error();
      r.failedForGood = !s.willRetry();
    } else if (e instanceof RunEvent.StepRetryScheduled s) {
      StepRecord r = step(s.stepId());
      r.nextAttempt = s.nextAttempt();
      r.nextAttemptAt = s.nextAttemptAt();
    } else if (e instanceof RunEvent.StepFailureIgnored s) {
      step(s.stepId()).failureIgnored = true;
    } else if (e instanceof RunEvent.GatePassed g) {
      gate(g.gateId()).passed = true;
    } else if (e instanceof RunEvent.GateRejected g) {
      gate(g.gateId()).rejectedReason = g.reason();
    } else if (e instanceof RunEvent.GateWaiting g) {
      GateRecord r = gate(g.gateId());
      r.recheckAt = g.recheckAt();
      r.deadline = g.deadline();
      r.checks++;
    } else if (e instanceof RunEvent.ApprovalRequested a) {
      GateRecord r = gate(a.gateId());
      r.approvalRequested = true;
      r.approvalDeadline = a.deadline();
    } else if (e instanceof RunEvent.ApprovalGranted a) {
      gate(a.gateId()).approvedBy.add(a.user());
    } else if (e instanceof RunEvent.WaitStarted w) {
      waits.computeIfAbsent(w.waitId(), k -> new WaitRecord()).deadline = w.deadline();
    } else if (e instanceof RunEvent.WaitFinished w) {
      waits.computeIfAbsent(w.waitId(), k -> new WaitRecord()).finished = true;
    } else if (e instanceof RunEvent.CancelRequested c) {
      if (rollback == null) {
        cancelRequested = true;
        cancelledBy = c.by();
        cancelReason = c.reason();
      }
    } else if (e instanceof RunEvent.RollbackStarted r) {
      rollback = r;
    } else if (e instanceof RunEvent.CompensationStarted c) {
      compensationAttempts.put(c.stepId(), c.attempt());
    } else if (e instanceof RunEvent.CompensationSucceeded c) {
      compensated.add(c.stepId());
    } else if (e instanceof RunEvent.CompensationFailed c) {
      if (!c.willRetry()) {
        compensationFailed.add(c.stepId());
      }
    } else if (e instanceof RunEvent.CompensationSkipped c) {
      skipped.add(c.stepId());
    } else if (e instanceof RunEvent.LockWaiting l) {
      locksWaited.add(l.key());
    } else if (e instanceof RunEvent.LockChanged l) {
      locksWaited.remove(l.key());
      if (l.acquired()) {
        locksHeld.add(l.key());
      } else {
        locksHeld.remove(l.key());
      }
    } else if (e instanceof RunEvent.LockForceReleased l) {
      locksHeld.remove(l.key());
    } else if (e instanceof RunEvent.RunStateChanged c) {
      state = c.to();
    } else if (e instanceof RunEvent.RunFinished f) {
      finished = f;
      state = f.state();
    }
  }
}
