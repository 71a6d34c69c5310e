package dev.runbook4j.internal.run;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.Choice;
import dev.runbook4j.ForEach;
import dev.runbook4j.Group;
import dev.runbook4j.Node;
import dev.runbook4j.Parallel;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.Wait;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's state, and the only place it changes: by {@link #apply applying} its events, the same
 * code whether an event was just recorded by the live run or is read back from the journal to
 * rebuild it ({@link #fold}). The interpreter asks it what each node has done and does what is
 * left: a fresh run's ledger has no record of a node when the node is reached, a rebuilt run's has
 * what happened before. No user code runs to build it.
 *
 * <p>Not threadsafe: a live run changes and reads it under the run's monitor.
 */
public final class RunLedger {
  /** What one step has done. */
  public static final class StepRecord {
    final String id;
    int lastAttempt;
    boolean outcomeKnown;
    boolean succeeded;
    boolean failedForGood;
    boolean failureIgnored;
    /** Where a failure rule routed the failure of attempt {@link #routedAttempt}, or null. */
    dev.runbook4j.OnFailure routed;
    int routedAttempt;
    String lastError;
    int nextAttempt;
    Instant nextAttemptAt;
    /** The output, once succeeded: normalised when recorded, or read back as JSON. */
    Object output;
    /** Whether {@link #output} is known to be in the step's output type. */
    boolean typed;

    StepRecord(String id) {
      this.id = id;
    }
  }

  /** What one gate has done. */
  public static final class GateRecord {
    boolean passed;
    String rejectedReason;
    boolean approvalRequested;
    Instant approvalDeadline;
    final Set<String> approvedBy = new LinkedHashSet<>();
    Instant recheckAt;
    Instant deadline;
    /** Checks that answered "not yet". */
    int checks;

    /** Whether it passed or rejected. */
    public boolean closed() {
      return passed || rejectedReason != null;
    }

    public boolean passed() {
      return passed;
    }

    /** Why it rejected, or null. */
    public String rejectedReason() {
      return rejectedReason;
    }

    public boolean approvalRequested() {
      return approvalRequested;
    }

    /** When its approval times out, or null. */
    public Instant approvalDeadline() {
      return approvalDeadline;
    }

    public Set<String> approvedBy() {
      return java.util.Collections.unmodifiableSet(approvedBy);
    }

    /** How it closed, for messages; null while open. */
    public String how() {
      return passed ? "passed, approved by " + String.join(", ", approvedBy) : rejectedReason;
    }
  }

  /** What one wait has done. */
  static final class WaitRecord {
    Instant deadline;
    boolean finished;
    /** Who ended it before its time, or null. */
    String skippedBy;
  }

  /**
   * A step's output, as recorded (null for a step that returned null); {@code typed}: known to be
   * in its step's output type already (normalised to it as the live run recorded it).
   */
  record Output(Object value, boolean typed) {}

  private final String runId;
  private RunEvent.RunStarted started;
  /** The plan the run is bound to: its start's, or the last one accepted since. */
  private String planHash;
  private final List<String> startOrder;
  private final Map<String, StepRecord> steps;
  /** The succeeded steps, in completion order. */
  private final List<StepRecord> succeeded;
  /** The record {@link #step} returned last: a step's start and end look up the same id, one after the other. */
  private StepRecord last;
  private final Map<String, GateRecord> gates = new LinkedHashMap<>();
  private final Map<String, WaitRecord> waits = new LinkedHashMap<>();
  /** Volatile: the run reads it before every node without its monitor. */
  private volatile RunEvent.CancelRequested cancel;
  private RunEvent.RollbackStarted rollback;
  private final Set<String> compensated = new LinkedHashSet<>();
  private final Set<String> compensationFailed = new LinkedHashSet<>();
  private final Map<String, String> compensationErrors = new HashMap<>();
  private final Set<String> skipped = new LinkedHashSet<>();
  private final Map<String, Integer> compensationAttempts = new HashMap<>();
  private final Set<String> locksHeld = new LinkedHashSet<>();
  private final Set<String> locksWaited = new LinkedHashSet<>();
  /** The decided conditions, by node id: whether each held. */
  private final Map<String, Boolean> conditions = new HashMap<>();
  /** The options each {@code choose} took, by its id ({@link #NO_OPTION}: none held). */
  private final Map<String, String> chosen = new HashMap<>();
  private final List<String> skippedNodes = new ArrayList<>();
  private RunEvent.SucceededEarly succeededEarly;
  private RunEvent.RollbackStopped rollbackStopped;
  /** The idempotency keys of the hook messages sent, or given up on. */
  private final Set<String> notified = new java.util.HashSet<>();
  private RunState state = RunState.RUNNING;
  private RunEvent.RunFinished finished;
  private long events;
  private Instant lastAt;

  public RunLedger(String runId) {
    this(runId, 12);
  }

  /** An empty ledger sized for a run of about {@code expectedSteps} steps (no rehashing as they start). */
  RunLedger(String runId, int expectedSteps) {
    this.runId = runId;
    int n = Math.max(expectedSteps, 4);
    this.steps = new HashMap<>((int) (n / 0.75f) + 1);
    this.startOrder = new ArrayList<>(n);
    this.succeeded = new ArrayList<>(n);
  }

  /** The ledger of {@code events}, applied in order. */
  public static RunLedger fold(String runId, List<RunEvent> events) {
    RunLedger l = new RunLedger(runId);
    for (RunEvent e : events) {
      l.apply(e);
    }
    return l;
  }

  /** Applies one event: the only way this ledger changes. */
  public void apply(RunEvent e) {
    events++;
    lastAt = e.at();
    if (e instanceof RunEvent.RunStarted s) {
      started = s;
      planHash = s.planHash();
    } else if (e instanceof RunEvent.PlanAccepted a) {
      planHash = a.planHash();
      for (GateRecord g : gates.values()) {
        if (!g.closed()) {
          g.approvedBy.clear();  // given for the plan before: they no longer count
        }
      }
    } else if (e instanceof RunEvent.StepStarted s) {
      StepRecord r = step(s.stepId());
      if (r.lastAttempt == 0) {
        startOrder.add(s.stepId());
      }
      r.lastAttempt = s.attempt();
      r.outcomeKnown = false;
      r.nextAttemptAt = null;
    } else if (e instanceof RunEvent.StepSucceeded s) {
      succeeded(s.stepId(), s.output());
    } else if (e instanceof RunEvent.StepReconciled s) {
      succeeded(s.stepId(), s.output());
    } else if (e instanceof RunEvent.StepFailed s) {
      StepRecord r = step(s.stepId());
      r.outcomeKnown = true;
      r.lastError = s.error();
      r.failedForGood = !s.willRetry();
    } else if (e instanceof RunEvent.StepRetryScheduled s) {
      StepRecord r = step(s.stepId());
      r.nextAttempt = s.nextAttempt();
      r.nextAttemptAt = s.nextAttemptAt();
    } else if (e instanceof RunEvent.FailureRouted s) {
      StepRecord r = step(s.stepId());
      r.routed = s.route();
      r.routedAttempt = s.attempt();
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
      if (a.choice() != null) {
        succeeded(a.gateId(), a.choice());  // the approver's choice is the gate's output
      }
    } else if (e instanceof RunEvent.WaitStarted w) {
      waits.computeIfAbsent(w.waitId(), k -> new WaitRecord()).deadline = w.deadline();
    } else if (e instanceof RunEvent.WaitFinished w) {
      waits.computeIfAbsent(w.waitId(), k -> new WaitRecord()).finished = true;
    } else if (e instanceof RunEvent.WaitSkipped w) {
      waits.computeIfAbsent(w.waitId(), k -> new WaitRecord()).skippedBy = w.by();
    } else if (e instanceof RunEvent.ConditionHeld c) {
      conditions.put(c.nodeId(), Boolean.TRUE);
    } else if (e instanceof RunEvent.NodeSkipped n) {
      if (conditions.put(n.nodeId(), Boolean.FALSE) == null) {
        skippedNodes.add(n.nodeId());
      }
    } else if (e instanceof RunEvent.BranchChosen b) {
      chosen.put(b.chooseId(), b.option() == null ? NO_OPTION : b.option());
    } else if (e instanceof RunEvent.SucceededEarly s) {
      succeededEarly = s;
    } else if (e instanceof RunEvent.RollbackStopped s) {
      rollbackStopped = s;
    } else if (e instanceof RunEvent.NotificationSent n) {
      notified.add(n.key());
    } else if (e instanceof RunEvent.NotificationFailed n) {
      notified.add(n.key());
    } else if (e instanceof RunEvent.CancelRequested c) {
      if (rollback == null && cancel == null) {
        cancel = c;
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
        compensationErrors.put(c.stepId(), c.error());
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

  private void succeeded(String stepId, Object output) {
    StepRecord r = step(stepId);
    r.outcomeKnown = true;
    if (!r.succeeded) {
      r.succeeded = true;
      succeeded.add(r);
    }
    r.output = output;
    r.typed = false;
  }

  private StepRecord step(String id) {
    StepRecord r = last;
    if (r == null || r.id != id) {  // the same string: the live run passes the id it looked up last
      r = steps.get(id);
      if (r == null) {
        r = new StepRecord(id);
        steps.put(id, r);
      }
      last = r;
    }
    return r;
  }

  private GateRecord gate(String id) {
    return gates.computeIfAbsent(id, k -> new GateRecord());
  }

  // ---------------------------------------------------------------- reads

  public String runId() {
    return runId;
  }

  /** The plan the run is bound to now: its start's, or the one last accepted ({@link RunEvent.PlanAccepted}); null without a start. */
  public String planHash() {
    return planHash;
  }

  /** The run's start, or null for a journal without one. */
  public RunEvent.RunStarted started() {
    return started;
  }

  /** The run's end, or null while it has not ended. */
  public RunEvent.RunFinished finished() {
    return finished;
  }

  /** The state the journal last recorded. */
  public RunState state() {
    return state;
  }

  /** How many events the ledger applied (the journal's length, for a ledger of the whole journal). */
  public long events() {
    return events;
  }

  /** When the last event happened, or null. */
  public Instant lastAt() {
    return lastAt;
  }

  /** The ids of the steps whose action started, in start order. */
  public List<String> startOrder() {
    return List.copyOf(startOrder);
  }

  int startedCount() {
    return startOrder.size();
  }

  /** What step {@code id} did, or null when it never started. */
  StepRecord stepRecord(String id) {
    StepRecord r = last;
    return r != null && r.id == id ? r : steps.get(id);
  }

  /** What gate {@code id} did, or null when it was never reached. */
  public GateRecord gateRecord(String id) {
    return gates.get(id);
  }

  /** The gates in the order they were reached, by id. */
  public Map<String, GateRecord> gates() {
    return java.util.Collections.unmodifiableMap(gates);
  }

  WaitRecord waitRecord(String id) {
    return waits.get(id);
  }

  /** The recorded output of step {@code id}, or null when it has not succeeded. */
  Output output(String id) {
    StepRecord r = stepRecord(id);
    return r == null || !r.succeeded ? null : new Output(r.output, r.typed);
  }

  /**
   * Marks the output of step {@code id} as being in its step's type: {@code value} is the same value
   * (normalised as recorded, or read back as JSON and converted).
   */
  void typed(String id, Object value) {
    StepRecord r = stepRecord(id);
    if (r == null || !r.succeeded) {
      throw new IllegalStateException("Step " + id + " of run " + runId + " has no output to type");
    }
    r.output = value;
    r.typed = true;
  }

  /** The outputs of the succeeded steps by id, in completion order: a read-only view, to be copied by the caller. */
  Map<String, Object> outputValues() {
    return new OutputValues(succeeded);
  }

  /** The outputs of {@code steps} by id, in their order, without a map of their own (the caller copies it). */
  private static final class OutputValues extends java.util.AbstractMap<String, Object> {
    private final List<StepRecord> steps;

    OutputValues(List<StepRecord> steps) {
      this.steps = steps;
    }

    @Override
    public int size() {
      return steps.size();
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public int size() {
          return steps.size();
        }

        @Override
        public java.util.Iterator<Map.Entry<String, Object>> iterator() {
          java.util.Iterator<StepRecord> it = steps.iterator();
          return new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
              return it.hasNext();
            }

            @Override
            public Map.Entry<String, Object> next() {
              StepRecord r = it.next();
              return new java.util.AbstractMap.SimpleImmutableEntry<>(r.id, r.output);  // null: a step that returned null
            }
          };
        }
      };
    }
  }

  /** The succeeded steps, in completion order (a view). */
  List<StepRecord> succeededSteps() {
    return java.util.Collections.unmodifiableList(succeeded);
  }

  /** The cancel journaled before any rollback, or null. */
  public RunEvent.CancelRequested cancel() {
    return cancel;
  }

  /** The rollback's start, or null when none began. */
  public RunEvent.RollbackStarted rollback() {
    return rollback;
  }

  public List<String> compensated() {
    return List.copyOf(compensated);
  }

  public List<String> compensationFailed() {
    return List.copyOf(compensationFailed);
  }

  /** The error of the last attempt of a compensation that failed for good. */
  String compensationError(String id) {
    return compensationErrors.get(id);
  }

  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  /** Whether the rollback has dealt with step {@code id}: undone, failed for good, or passed over. */
  boolean settledInRollback(String id) {
    return compensated.contains(id) || compensationFailed.contains(id) || skipped.contains(id);
  }

  int compensationAttempts(String id) {
    return compensationAttempts.getOrDefault(id, 0);
  }

  /** The locks the run holds by its journal (taken and not released), in the order taken. */
  public Set<String> locksHeld() {
    return java.util.Collections.unmodifiableSet(locksHeld);
  }

  /** The gates awaiting approval, in the order they asked. */
  public List<String> awaiting() {
    List<String> ids = new ArrayList<>();
    gates.forEach((id, g) -> {
      if (g.approvalRequested && !g.closed()) {
        ids.add(id);
      }
    });
    return ids;
  }

  /** The lock waits, waits and gates in progress, as the journal has them. */
  public List<String> active() {
    List<String> ids = new ArrayList<>();
    if (finished != null) {
      return ids;
    }
    locksWaited.forEach(k -> ids.add("lock:" + k));
    waits.forEach((id, w) -> {
      if (!w.finished) {
        ids.add(id);
      }
    });
    gates.forEach((id, g) -> {
      if (!g.closed()) {
        ids.add(id);
      }
    });
    return ids;
  }

  /** What {@link #chosen} answers for a {@code choose} none of whose options held. */
  public static final String NO_OPTION = "";

  /** Whether the condition of node {@code id} held (journaled), or null when it was not decided yet. */
  public Boolean condition(String id) {
    return conditions.get(id);
  }

  /** The option {@code choose} {@code id} took ({@link #NO_OPTION}: none), or null when not decided yet. */
  public String chosen(String id) {
    return chosen.get(id);
  }

  /** The nodes passed over because their condition did not hold, in the order they were reached. */
  public List<String> skippedNodes() {
    return java.util.Collections.unmodifiableList(skippedNodes);
  }

  /** Whether wait {@code id} began. */
  public boolean waitStarted(String id) {
    WaitRecord r = waits.get(id);
    return r != null && r.deadline != null;
  }

  /** Whether wait {@code id} ended, or was skipped. */
  public boolean waitOver(String id) {
    WaitRecord r = waits.get(id);
    return r != null && (r.finished || r.skippedBy != null);
  }

  /** Whether the hook message with idempotency key {@code key} was sent, or given up on. */
  public boolean notified(String key) {
    return notified.contains(key);
  }

  /** Where the rollback stopped (a compensation that failed said so), or null. */
  public RunEvent.RollbackStopped rollbackStopped() {
    return rollbackStopped;
  }

  /** The run's {@code succeed}, once reached, or null. */
  public RunEvent.SucceededEarly succeededEarly() {
    return succeededEarly;
  }

  /**
   * The rules a decision on a run is taken by, wherever it is taken: by the object that drives the run
   * here, or through the journal by an engine that does not hold it (a parked run, one driven
   * elsewhere). One place, so that the two paths cannot drift.
   */
  public static final class Rules {
    private Rules() {}

    /** A choice that fits the gate's options: one of them when it has any, none when it has none. */
    public static void checkChoice(ApprovalSpec spec, String gateId, String runId, String choice) {
      if (spec.options().isEmpty() && choice != null) {
        throw new ApprovalException("Gate '" + gateId + "' of run " + runId + " asks no choice; approve it without one");
      }
      if (!spec.options().isEmpty() && (choice == null || !spec.options().contains(choice))) {
        throw new ApprovalException("Gate '" + gateId + "' of run " + runId + " asks its approver to choose one of "
            + spec.options() + (choice == null ? "; none was given" : "; '" + choice + "' is none of them"));
      }
    }

    /** The node of type {@code type} whose runtime id is {@code id}, or null. */
    public static <N extends Node> N find(List<Node> nodes, String id, Class<N> type) {
      return find(nodes, "", id, type);
    }

    private static <N extends Node> N find(List<Node> nodes, String path, String id, Class<N> type) {
      for (Node n : nodes) {
        String p = path.isEmpty() ? n.name() : path + "/" + n.name();
        if (type.isInstance(n) && p.equals(id)) {
          return type.cast(n);
        }
        if (!id.startsWith(p)) {
          continue;
        }
        N found = null;
        if (n instanceof Group<?> g) {
          found = find(g.nodes(), p, id, type);
        } else if (n instanceof Parallel<?> || n instanceof Choice<?>) {
          for (Group<?> b : n instanceof Parallel<?> par ? par.branches() : ((Choice<?>) n).options()) {
            found = found != null ? found : find(b.nodes(), p + "/" + b.name(), id, type);
          }
        } else if (n instanceof ForEach<?, ?> f && id.startsWith(p + "[")) {
          // the item is whatever stands between "[" and a "]" that a child's path follows
          for (int k = id.indexOf("]", p.length()); k > 0 && found == null; k = id.indexOf("]", k + 1)) {
            found = find(f.nodes(), id.substring(0, k + 1), id, type);
          }
        }
        if (found != null) {
          return found;
        }
      }
      return null;
    }

    /**
     * Throws an {@link ApprovalException} naming why {@code user} may not skip wait {@code waitId}
     * ({@code w}, null when the runbook has none): the run is over or rolling back, the wait is not
     * going on, it is not skippable, or the user is not one its rules name.
     */
    public static void checkSkip(Wait<?> w, String waitId, String runId, String runbook, String user, String requester,
        boolean over, boolean started, boolean finished) {
      String run = "run " + runId + " (" + runbook + ")";
      if (w == null) {
        throw new ApprovalException("Runbook '" + runbook + "' has no wait '" + waitId + "'; waits are skipped by their"
            + " id, as the plan shows it");
      }
      ApprovalSpec spec = w.skippableBy().orElseThrow(() -> new ApprovalException("Wait '" + waitId + "' of " + run
          + " cannot be skipped: it names no skippableBy"));
      if (over) {
        throw new ApprovalException("Wait '" + waitId + "' of " + run + " cannot be skipped: the run has ended, is rolling"
            + " back or was cancelled");
      }
      if (!started || finished) {
        throw new ApprovalException("Wait '" + waitId + "' of " + run + " is not going on" + (finished ? " (it is over)"
            : " (the run has not reached it)") + "; only a wait going on can be skipped");
      }
      if (user == null || user.isBlank()) {
        throw new ApprovalException("A skip of wait '" + waitId + "' of " + run + " names no user");
      }
      if (user.equals(requester) && !spec.requesterMayApprove()) {
        throw new ApprovalException("User '" + user + "' requested " + run + " and may not skip its wait '" + waitId
            + "'; ask another (" + spec + ")");
      }
      if (!spec.mayApprove(user)) {
        throw new ApprovalException("User '" + user + "' may not skip wait '" + waitId + "' of " + run + "; it needs "
            + spec);
      }
    }
  }
}
