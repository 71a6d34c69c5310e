package dev.runbook4j.internal;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.CompensationFailedException;
import dev.runbook4j.Durations;
import dev.runbook4j.ForEach;
import dev.runbook4j.Gate;
import dev.runbook4j.GateDecision;
import dev.runbook4j.GateRejectedException;
import dev.runbook4j.Group;
import dev.runbook4j.Health;
import dev.runbook4j.JournalException;
import dev.runbook4j.LeaseLostException;
import dev.runbook4j.LockPolicy;
import dev.runbook4j.LockUnavailableException;
import dev.runbook4j.Node;
import dev.runbook4j.Parallel;
import dev.runbook4j.Plan;
import dev.runbook4j.Reversibility;
import dev.runbook4j.RunCancelledException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookException;
import dev.runbook4j.Step;
import dev.runbook4j.StepFailedException;
import dev.runbook4j.StepTimeoutException;
import dev.runbook4j.ThresholdExceededException;
import dev.runbook4j.Wait;
import dev.runbook4j.WaitTimeoutException;
import dev.runbook4j.Watch;
import dev.runbook4j.spi.Invocation;
import dev.runbook4j.WatchBreachedException;
import dev.runbook4j.spi.Cancellable;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.PolicyContext;
import dev.runbook4j.spi.StepPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One run: its state, and the interpreter of its nodes. Nodes run synchronously on the worker
 * that reaches them while they can (no hop per step); a wait, a re-check, a retry delay, an
 * approval or an attempt with a timeout returns a future and the run continues from its callback,
 * holding no thread meanwhile.
 */
final class Run {
  private static final Logger log = LoggerFactory.getLogger(Run.class);

  record Output(Object value) {}

  record Started(String id, Step<Object, Object> step, Frame frame) {}

  private static final class PendingApproval {
    final Gate<Object> gate;
    final String id;
    final ApprovalSpec spec;
    final Set<String> approvedBy = new LinkedHashSet<>();
    final CompletableFuture<Outcome> future = new CompletableFuture<>();
    Cancellable timer;
    /** When the gate times out, or null. */
    Instant deadline;

    PendingApproval(Gate<Object> gate, String id, ApprovalSpec spec) {
      this.gate = gate;
      this.id = id;
      this.spec = spec;
    }
  }

  final DefaultRunbookEngine engine;
  final String runId;
  final Runbook<Object> runbook;
  final Object params;
  final String requester;
  final Plan plan;
  /** Outputs of succeeded steps by id, in completion order; guarded by this. */
  private final Map<String, Object> outputs = new LinkedHashMap<>(64);
  volatile boolean cancelRequested;
  final AtomicInteger listenerFailures = new AtomicInteger();
  /** Completes when the run ends; shared by every object of this run in this engine (parking, recovery). */
  final CompletableFuture<RunResult> done;
  /** Rebuilt to go on after it was parked: not a restart, so no RunResumed is written. */
  private final boolean unparked;
  /** Whether this object may park; off while a decision it was woken for is applied. */
  volatile boolean mayPark = true;
  /** How many events the run's journal holds, as far as this object knows (its own and those it read). */
  volatile long journaled;
  /** Set when this object parked: it does nothing more; the engine holds the run as a parked entry. */
  private volatile boolean parked;
  /** Parallels and forEach loops in progress: a run inside one has several strands and does not park. */
  private final AtomicInteger concurrent = new AtomicInteger();

  /** The journal of a resumed run, folded; null for a new run. Read only while replaying. */
  private final History history;
  private volatile Map<String, String> staticPaths;
  private volatile Map<String, List<?>> items;
  private final List<Started> started = new ArrayList<>();
  /** The nodes in progress and what each is doing, in start order; guarded by this. Small: one per branch. */
  private final List<String> activeIds = new ArrayList<>(4);
  private final List<RunState> activeStates = new ArrayList<>(4);
  private int running;
  private int waiting;
  private int awaiting;
  private final Map<String, PendingApproval> approvals = new ConcurrentHashMap<>();
  /** How each approval gate that was waiting here was decided ("passed", "rejected by ..."), by id. */
  private final Map<String, String> decided = new ConcurrentHashMap<>();
  private final Set<CompletableFuture<Boolean>> pauses = ConcurrentHashMap.newKeySet();
  /** Calls of user code in progress, for timeouts and cancel to interrupt; guarded by this. */
  private final List<Attempt> inflight = new ArrayList<>(4);
  private final List<String> compensated = new ArrayList<>();
  private final List<String> compensationFailed = new ArrayList<>();
  private final List<String> notUndone = new ArrayList<>();
  private final List<Throwable> compensationErrors = new ArrayList<>();
  /** The locks this run holds and their fencing tokens, in the order taken; guarded by this. */
  private final Map<String, Long> heldLocks = new LinkedHashMap<>();
  /**
   * The locks the journal says this run held when it was rebuilt: released when it ends, whether or
   * not it took them again (a run cancelled before it retook its locks still holds them). Guarded by this.
   */
  private final Set<String> journaledLocks = new LinkedHashSet<>();
  /** Why the locks could not be taken (fail-fast), or null. */
  private volatile RunbookException lockFailure;
  private volatile boolean rollingBack;
  private volatile RunState state = RunState.RUNNING;
  /**
   * The state the journal last recorded: a rebuilt run replays its way back to where it was in
   * memory without journaling that way again. Guarded by this.
   */
  private RunState journaledState = RunState.RUNNING;
  private volatile Instant updatedAt;
  private RunbookException failure;
  private volatile JournalException storageError;
  private String cancelledBy;
  private String cancelReason;
  private volatile CompletableFuture<Void> signal = new CompletableFuture<>();

  @SuppressWarnings("unchecked")
  Run(DefaultRunbookEngine engine, String runId, Runbook<?> runbook, Object params, String requester, Plan plan) {
    this(engine, runId, runbook, params, requester, plan, null, new CompletableFuture<>(), false);
  }

  /** A run rebuilt from {@code history} (its journal) after a restart; {@code history} null for a new run. */
  @SuppressWarnings("unchecked")
  Run(DefaultRunbookEngine engine, String runId, Runbook<?> runbook, Object params, String requester, Plan plan,
      History history, CompletableFuture<RunResult> done, boolean unparked) {
    this.history = history;
    this.done = done;
    this.unparked = unparked;
    this.journaled = history == null ? 0 : history.events;
    this.engine = engine;
    this.runId = runId;
    this.runbook = (Runbook<Object>) runbook;
    this.params = params;
    this.requester = requester;
    this.plan = plan;
    if (hasForEach(this.runbook.nodes())) {
      indexed();  // forEach items are resolved, and checked, before anything runs
    }
    this.updatedAt = engine.clock.instant();
  }

  private static boolean hasForEach(List<Node> nodes) {
    for (Node n : nodes) {
      if (n instanceof ForEach<?, ?> || (n instanceof Group<?> g && hasForEach(g.nodes()))) {
        return true;
      }
      if (n instanceof Parallel<?> p) {
        for (Group<?> b : p.branches()) {
          if (hasForEach(b.nodes())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Static paths of every name, and forEach items: made on first need (most runs never need them). */
  private synchronized void indexed() {
    if (staticPaths != null) {
      return;
    }
    Map<String, String> paths = new LinkedHashMap<>();
    Map<String, List<?>> resolved = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    index(this.runbook.nodes(), "", problems, paths, resolved);
    if (!problems.isEmpty()) {
      throw new RunbookDefinitionException("Run " + runId + " of runbook '" + runbook.name() + "'", problems);
    }
    items = resolved;
    staticPaths = paths;
  }

  @SuppressWarnings("unchecked")
  private void index(List<Node> nodes, String path, List<String> problems, Map<String, String> staticPaths,
      Map<String, List<?>> items) {
    for (Node n : nodes) {
      String id = path.isEmpty() ? n.name() : path + "/" + n.name();
      staticPaths.put(n.name(), id);
      if (n instanceof Group<?> g) {
        index(g.nodes(), id, problems, staticPaths, items);
      } else if (n instanceof Parallel<?> p) {
        for (Group<?> b : p.branches()) {
          staticPaths.put(b.name(), id + "/" + b.name());
          index(b.nodes(), id + "/" + b.name(), problems, staticPaths, items);
        }
      } else if (n instanceof ForEach<?, ?> f) {
        List<?> list = ((ForEach<Object, ?>) f).items().items(params);
        list = list == null ? List.of() : List.copyOf(list);
        Set<String> keys = new HashSet<>();
        for (Object item : list) {
          if (!keys.add(String.valueOf(item))) {
            problems.add("forEach '" + id + "' has the item '" + item + "' twice; items must be distinct");
          }
        }
        items.put(n.name(), list);
        index(f.nodes(), id + "[*]", problems, staticPaths, items);
      }
    }
  }

  // ---------------------------------------------------------------- events and state

  Instant now() {
    return engine.clock.instant();
  }

  void record(RunEvent event) {
    synchronized (this) {
      if (storageError != null) {
        throw new JournalException("Run " + runId + " is paused on a storage error; this write was not tried", null);
      }
      try {
        engine.journal.append(event);
        journaled++;
      } catch (JournalException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new JournalException("The journal could not record " + event.getClass().getSimpleName() + " of run "
            + runId + " (" + runbook.name() + "): " + e.getMessage() + "; the run stops here", e);
      }
      updatedAt = event.at();
    }
    engine.dispatch(this, event);
  }

  private void setActive(String id, RunState s) {
    synchronized (this) {
      int i = activeIds.indexOf(id);
      if (i < 0) {
        activeIds.add(id);
        activeStates.add(s);
      } else {
        count(activeStates.set(i, s), -1);
      }
      count(s, 1);
      updateState();
    }
  }

  private void clearActive(String id) {
    synchronized (this) {
      int i = activeIds.lastIndexOf(id);
      if (i >= 0) {
        activeIds.remove(i);
        count(activeStates.remove(i), -1);
      }
      updateState();
    }
  }

  private void count(RunState s, int delta) {
    if (s == RunState.RUNNING) {
      running += delta;
    } else if (s == RunState.WAITING) {
      waiting += delta;
    } else if (s == RunState.AWAITING_APPROVAL) {
      awaiting += delta;
    }
  }

  private void updateState() {
    synchronized (this) {
      if (state.isTerminal()) {
        return;
      }
      RunState to;
      if (rollingBack) {
        to = RunState.ROLLING_BACK;
      } else {
        to = awaiting > 0 ? RunState.AWAITING_APPROVAL : running > 0 ? RunState.RUNNING
            : waiting > 0 ? RunState.WAITING : RunState.RUNNING;
      }
      if (to == state) {
        if (to == RunState.AWAITING_APPROVAL) {
          signal.complete(null);  // back at an approval after a rebuild
        }
        return;
      }
      RunState from = state;
      if (to != journaledState) {
        record(new RunEvent.RunStateChanged(runId, journaledState, to, activeIds.isEmpty() ? ""
            : String.join(", ", activeIds), now()));
        journaledState = to;
      }
      state = to;
      if (to == RunState.AWAITING_APPROVAL) {
        signal.complete(null);
      } else if (from == RunState.AWAITING_APPROVAL) {
        signal = new CompletableFuture<>();
      }
    }
  }

  RunState state() {
    return state;
  }

  /** Completes when the run parks, pauses or ends; read without the run's lock (a writer may hold it long). */
  CompletableFuture<Void> signal() {
    return signal;
  }

  String idempotencyKey(String stepId) {
    return runId + ":" + stepId;
  }

  private long seed(String stepId) {
    return (long) runId.hashCode() * 31 + stepId.hashCode();
  }

  String resolveStep(String name, Frame frame) {
    indexed();
    String path = staticPaths.get(name);
    if (path == null) {
      throw new IllegalArgumentException("Runbook '" + runbook.name() + "' has no step '" + name + "'; steps: "
          + plan.stepIds());
    }
    String id = frame.resolve(path);
    if (id == null) {
      throw new IllegalStateException("Step '" + name + "' runs once per item of a forEach; read its output inside"
          + " that forEach");
    }
    return id;
  }

  private Outcome cancelledOutcome() {
    return Outcome.cancelled(new RunCancelledException(runbook.name(), runId, cancelledBy, cancelReason));
  }

  private static final CompletableFuture<Outcome> DONE_OK = CompletableFuture.completedFuture(Outcome.OK);

  private static CompletableFuture<Outcome> done(Outcome o) {
    return CompletableFuture.completedFuture(o);
  }

  private void onWorker(Runnable task) {
    try {
      engine.workers.execute(task);
    } catch (RejectedExecutionException e) {
      log.warn("Run {} ({}): the engine is closed; the run stops where it is", runId, runbook.name());
    }
  }

  // ---------------------------------------------------------------- start and finish

  /**
   * Journals the start, then runs the first stretch of the run on the caller's thread (when the
   * caller is about to block on it anyway) or on a worker.
   */
  void start(boolean onCallerThread) {
    Runnable body;
    if (history == null) {
      record(new RunEvent.RunStarted(runId, runbook.name(), plan.hash(), requester, plan.params(), now()));
      if (log.isInfoEnabled()) {
        log.info("Run {} ({}) started by {}", runId, runbook.name(), requester);
      }
      body = () -> acquireLocks(plan.locks(), 0)
          .thenCompose(ok -> ok ? sequence(runbook.nodes(), Frame.root(runbook.watches())) : done(noLocks()))
          .whenComplete((o, e) -> finish(e == null ? o : internalError(e)));
    } else {
      restore();
      if (unparked) {
        log.debug("Run {} ({}) unparked from {} journaled events", runId, runbook.name(), history.events);
      } else {
        record(new RunEvent.RunResumed(runId, plan.hash(), now()));
        log.info("Run {} ({}) resumed from {} journaled events", runId, runbook.name(), history.events);
      }
      if (history.rollback != null) {
        // a rollback under way goes on as a rollback, never forward
        RunbookException cause = new RunbookException(history.rollback.cause());
        body = () -> {
          retakeLocks();
          finish(history.cancelRequested ? Outcome.cancelled(cause) : Outcome.failed(cause));
        };
      } else {
        body = () -> acquireLocks(plan.locks(), 0)
            .thenCompose(ok -> ok ? sequence(runbook.nodes(), Frame.root(runbook.watches())) : done(noLocks()))
            .whenComplete((o, e) -> finish(e == null ? o : internalError(e)));
      }
    }
    if (onCallerThread) {
      body.run();
    } else {
      onWorker(body);
    }
  }

  /**
   * Rebuilds in memory what the journal says was done: the started steps (in start order, with
   * their frames), their outputs, and the rollback's progress. No user code runs.
   */
  private void restore() {
    Map<String, Started> located = new LinkedHashMap<>();
    locate(runbook.nodes(), Frame.root(runbook.watches()), located);
    synchronized (this) {
      for (String id : history.startOrder) {
        Started st = located.get(id);
        if (st == null) {
          throw new RunbookDefinitionException("Run " + runId + " of runbook '" + runbook.name() + "'", List.of(
              "its journal names step '" + id + "', which this runbook does not have; resume it with the runbook"
                  + " it was started with"));
        }
        started.add(st);
        History.StepRecord r = history.steps.get(id);
        if (r.succeeded) {
          outputs.put(id, Json.convert(r.output, st.step().outputType()));
        }
      }
      if (history.state == RunState.WAITING) {
        state = history.state;  // where it was: the replay's first step back into the wait writes nothing
      }
      if (!history.state.isTerminal()) {
        journaledState = history.state;
      }
      journaledLocks.addAll(history.locksHeld);
      compensated.addAll(history.compensated);
      compensationFailed.addAll(history.compensationFailed);
      notUndone.addAll(history.skipped);
      for (String id : history.compensationFailed) {
        compensationErrors.add(new RunbookException("Compensation of step '" + id + "' of run " + runId
            + " failed before the restart (see the journal)"));
      }
      if (history.cancelRequested) {
        cancelRequested = true;
        cancelledBy = history.cancelledBy;
        cancelReason = history.cancelReason;
      }
    }
  }

  /** Every step of the tree with the frame it runs in, forEach items expanded. */
  @SuppressWarnings("unchecked")
  private void locate(List<Node> nodes, Frame frame, Map<String, Started> out) {
    for (Node n : nodes) {
      String id = frame.child(n.name());
      if (n instanceof Step<?, ?> s) {
        out.put(id, new Started(id, (Step<Object, Object>) s, frame));
      } else if (n instanceof Group<?> g) {
        locate(g.nodes(), frame.group(id, (List<Watch<Object>>) (List<?>) g.watches()), out);
      } else if (n instanceof Parallel<?> p) {
        for (Group<?> b : p.branches()) {
          locate(b.nodes(), frame.group(id + "/" + b.name(), (List<Watch<Object>>) (List<?>) b.watches()), out);
        }
      } else if (n instanceof ForEach<?, ?> f) {
        indexed();
        for (Object item : items.get(f.name())) {
          String rid = id + "[" + item + "]";
          locate(f.nodes(), frame.item(staticPaths.get(f.name()), rid, item), out);
        }
      }
    }
  }

  /** The outcome of a run that did not get its locks: cancelled, superseded or fail-fast. */
  private Outcome noLocks() {
    return lockFailure != null ? Outcome.failed(lockFailure) : cancelledOutcome();
  }

  private CompletableFuture<Boolean> acquireLocks(List<String> keys, int i) {
    try {
      for (; i < keys.size(); i++) {
        String key = keys.get(i);
        LockPolicy policy = plan.lockPolicies().get(i);
        if (cancelRequested) {
          return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> granted = new CompletableFuture<>();
        long[] grant = new long[1];
        pauses.add(granted);
        long token;
        try {
          token = engine.locks.acquire(key, runId, runbook.name(), policy, new LockManager.Waiter() {
            @Override
            public void granted(long t) {
              grant[0] = t;
              onWorker(() -> granted.complete(true));
            }

            @Override
            public void superseded(String byRunId) {
              onWorker(() -> supersededBy(key, byRunId));
            }
          });
        } catch (LockUnavailableException e) {
          pauses.remove(granted);
          lockFailure = e;
          log.info("Run {} ({}): {}", runId, runbook.name(), e.getMessage());
          return CompletableFuture.completedFuture(false);
        }
        if (token == 0) {
          String id = "lock:" + key;
          record(new RunEvent.LockWaiting(runId, key, engine.locks.holder(key), now()));
          setActive(id, RunState.WAITING);
          int next = i + 1;
          return granted.thenCompose(ok -> {
            pauses.remove(granted);
            clearActive(id);
            if (!ok) {
              engine.locks.release(key, runId);
              return CompletableFuture.completedFuture(false);
            }
            lockTaken(key, grant[0]);
            return acquireLocks(keys, next);
          });
        }
        pauses.remove(granted);
        lockTaken(key, token);
      }
      return CompletableFuture.completedFuture(true);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Takes again, under new fencing tokens, the locks of a run resumed in its rollback (it held them
   * when it stopped); a lock another run holds now is left (and logged): the rollback goes on.
   */
  private void retakeLocks() {
    List<String> keys = plan.locks();
    for (String key : keys) {
      long token = engine.locks.acquire(key, runId, runbook.name(), LockPolicy.FIFO, new LockManager.Waiter() {
        @Override
        public void granted(long t) {
          engine.locks.release(key, runId);
        }

        @Override
        public void superseded(String byRunId) {
        }
      });
      if (token == 0) {
        engine.locks.release(key, runId);
        log.warn("Run {} ({}) resumes its rollback without lock '{}': run {} holds it now", runId, runbook.name(),
            key, engine.locks.holder(key));
      } else {
        lockTaken(key, token);
      }
    }
  }

  /** A newer run took this run's place in the queue for {@code key} (latest-wins): this run ends. */
  private void supersededBy(String key, String byRunId) {
    try {
      cancel("lock " + key, "superseded by run " + byRunId + " (lock '" + key + "' is latest-wins)");
    } catch (RuntimeException e) {
      halt(e);
    }
  }

  private void lockTaken(String key, long token) {
    synchronized (this) {
      heldLocks.put(key, token);
    }
    record(new RunEvent.LockChanged(runId, key, true, now()));
  }

  /** The fencing token under which this run holds {@code key}. */
  synchronized java.util.OptionalLong fencingToken(String key) {
    Long t = heldLocks.get(key);
    return t == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(t);
  }

  /**
   * The fencing check before a step or compensation that changes something: this run must still
   * hold each of its locks under the token it was granted. A runner that stalled past its lease
   * finds its tokens stale (the run was taken over and its locks granted again) and stops here.
   */
  private void checkFence(String stepId) {
    Map<String, Long> held;
    synchronized (this) {
      if (heldLocks.isEmpty()) {
        return;
      }
      held = new LinkedHashMap<>(heldLocks);
    }
    for (Map.Entry<String, Long> e : held.entrySet()) {
      if (!engine.locks.holds(e.getKey(), runId, e.getValue())) {
        throw new LeaseLostException("Run " + runId + " (" + runbook.name() + ") no longer holds lock '" + e.getKey()
            + "' under fencing token " + e.getValue() + " (held by " + engine.locks.holder(e.getKey()) + " now);"
            + " step '" + stepId + "' is not called and this runner stops the run");
      }
    }
  }

  private Outcome internalError(Throwable e) {
    Throwable c = unwrap(e);
    if (c instanceof JournalException je) {
      return Outcome.halted(je);
    }
    log.error("Run {} ({}): internal error", runId, runbook.name(), c);
    return Outcome.failed(new RunbookException("Internal error in run " + runId + " (" + runbook.name() + "): "
        + c + "; please report it", c));
  }

  private void finish(Outcome o) {
    try {
      switch (o.kind()) {
        case OK, STOPPED -> terminal(RunState.SUCCEEDED, null);
        case ABORTED -> terminal(RunState.ABORTED, o.cause());
        case HALTED -> halt(o.cause());
        default -> {
          synchronized (this) {
            failure = o.cause();
          }
          rollback(o).whenComplete((x, e) -> {
            if (e != null) {
              halt(unwrap(e));
            } else {
              try {
                terminal(compensationFailed.isEmpty() ? RunState.ROLLED_BACK : RunState.ROLLBACK_FAILED, o.cause());
              } catch (RuntimeException re) {
                halt(re);
              }
            }
          });
        }
      }
    } catch (RuntimeException e) {
      halt(e);
    }
  }

  private void terminal(RunState end, RunbookException cause) {
    if (end == RunState.ROLLBACK_FAILED && cause != null) {
      List<String> failed;
      List<String> undone;
      List<Throwable> errors;
      synchronized (this) {
        failed = List.copyOf(compensationFailed);
        undone = List.copyOf(compensated);
        errors = List.copyOf(compensationErrors);
      }
      cause.addSuppressed(new CompensationFailedException(runbook.name(), runId, failed, undone, errors));
    }
    if (end != RunState.ROLLBACK_FAILED && end != RunState.ABORTED) {
      releaseLocks();
    }
    synchronized (this) {
      failure = cause;
      record(new RunEvent.RunStateChanged(runId, journaledState, end, cause == null ? "completed" : cause.getMessage(),
          now()));
      journaledState = end;
      state = end;
      record(new RunEvent.RunFinished(runId, end, summary(end), now()));
      signal.complete(null);
    }
    if (log.isInfoEnabled()) {
      log.info("Run {} ({}) ended {}", runId, runbook.name(), end);
    }
    RunResult result = result();
    engine.ended(this, result);
    done.complete(result);
  }

  private void releaseLocks() {
    List<String> keys;
    synchronized (this) {
      Set<String> all = new LinkedHashSet<>(heldLocks.keySet());
      all.addAll(journaledLocks);
      keys = new ArrayList<>(all);
      heldLocks.clear();
      journaledLocks.clear();
    }
    for (String key : keys) {
      record(new RunEvent.LockChanged(runId, key, false, now()));
      engine.locks.release(key, runId);
    }
  }

  /**
   * Stops this run object on a storage error: it writes nothing more (so it calls no more user
   * code: every call is preceded by a write), and the engine rebuilds the run from the journal once
   * the journal takes writes again. {@link #done} completes when that successor ends.
   */
  private void halt(Throwable e) {
    JournalException je = e instanceof JournalException j ? j
        : new JournalException("Run " + runId + " (" + runbook.name() + ") stopped: " + e, e);
    synchronized (this) {
      if (storageError != null) {
        return;
      }
      storageError = je;
      signal.complete(null);
    }
    if (je instanceof LeaseLostException) {
      log.warn("Run {} ({}) stops on this runner: {}", runId, runbook.name(), je.getMessage());
      engine.onLeaseLost(this);
      return;
    }
    log.error("Run {} ({}) paused on a storage error: {}", runId, runbook.name(), je.getMessage());
    engine.onStorageError(this);
  }

  /** The storage error that paused this run object, or null. */
  JournalException storageError() {
    return storageError;
  }

  private String summary(RunState end) {
    synchronized (this) {
      return switch (end) {
        case SUCCEEDED -> started.size() + " steps started, all completed";
        case ROLLED_BACK -> "rolled back: undone " + compensated + (notUndone.isEmpty() ? "" : ", not undone " + notUndone);
        case ROLLBACK_FAILED -> "rollback failed for " + compensationFailed + "; undone " + compensated;
        default -> "aborted after " + started.size() + " started steps; nothing compensated";
      };
    }
  }

  synchronized RunResult result() {
    List<String> ids = new ArrayList<>(started.size());
    for (Started st : started) {
      ids.add(st.id());
    }
    return new RunResult(runId, runbook.name(), state, Optional.ofNullable(failure), ids, compensated,
        compensationFailed, notUndone, outputs);
  }

  synchronized RunStatus status() {
    return new RunStatus(runId, runbook.name(), state, requester, plan.hash(), List.copyOf(activeIds),
        new ArrayList<>(approvals.keySet()), started.stream().map(Started::id).toList(), compensated,
        Optional.ofNullable(storageError != null ? storageError : failure).map(Throwable::getMessage),
        listenerFailures.get(), updatedAt);
  }

  // ---------------------------------------------------------------- nodes

  private CompletableFuture<Outcome> sequence(List<Node> nodes, Frame frame) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    continueSequence(nodes, 0, frame, result);
    return result;
  }

  private void continueSequence(List<Node> nodes, int from, Frame frame, CompletableFuture<Outcome> result) {
    for (int i = from; i < nodes.size(); i++) {
      if (cancelRequested) {
        result.complete(cancelledOutcome());
        return;
      }
      if (frame.halted()) {
        result.complete(Outcome.STOPPED);
        return;
      }
      CompletableFuture<Outcome> o = node(nodes.get(i), frame);
      if (!o.isDone()) {
        int next = i + 1;
        o.whenComplete((out, err) -> {
          Outcome r = err == null ? out : internalError(err);
          if (r.ok()) {
            continueSequence(nodes, next, frame, result);
          } else {
            result.complete(r);
          }
        });
        return;
      }
      Outcome out = o.isCompletedExceptionally() ? o.handle((r, e) -> internalError(e)).join() : o.getNow(null);
      if (!out.ok()) {
        result.complete(out);
        return;
      }
    }
    result.complete(Outcome.OK);
  }

  @SuppressWarnings("unchecked")
  private CompletableFuture<Outcome> node(Node n, Frame frame) {
    try {
      if (n instanceof Step<?, ?> s) {
        return step((Step<Object, Object>) s, frame);
      } else if (n instanceof Gate<?> g) {
        return gate((Gate<Object>) g, frame);
      } else if (n instanceof Wait<?> w) {
        return waitNode((Wait<Object>) w, frame);
      } else if (n instanceof Group<?> g) {
        return sequence(g.nodes(), frame.group(frame.child(g.name()), (List<Watch<Object>>) (List<?>) g.watches()));
      } else if (n instanceof Parallel<?> p) {
        return parallel((Parallel<Object>) p, frame);
      } else {
        return forEach((ForEach<Object, Object>) n, frame);
      }
    } catch (RuntimeException e) {
      return done(internalError(e));
    }
  }

  // ---- steps

  private CompletableFuture<Outcome> step(Step<Object, Object> s, Frame frame) {
    String id = frame.child(s.name());
    History.StepRecord replay = history == null ? null : history.steps.get(id);
    if (replay != null) {
      return replayStep(s, id, frame, replay);
    }
    Outcome breach = frame.watches.isEmpty() ? null : checkWatches(frame, id, "before step '" + id + "'");
    if (breach != null) {
      return done(breach);
    }
    return attempt(s, id, frame, 1);
  }

  private CompletableFuture<Outcome> attempt(Step<Object, Object> s, String id, Frame frame, int n) {
    boolean plain = isPlain(s);
    Attempt inline = plain ? new Attempt(id) : null;
    synchronized (this) {
      if (cancelRequested) {
        return done(cancelledOutcome());
      }
      if (s.reversibility() != Reversibility.READ_ONLY) {
        checkFence(id);
      }
      // write-ahead: the intent is durable before the action is called
      record(new RunEvent.StepStarted(runId, id, n, idempotencyKey(id), now()));
      if (n == 1) {
        started.add(new Started(id, s, frame));
      }
      setActive(id, RunState.RUNNING);
      if (plain) {
        inflight.add(inline);
        inline.enter();
      }
    }
    Contexts.StepCtx ctx = new Contexts.StepCtx(this, frame, id, n);
    if (plain) {
      // the common case, kept cheap: the action runs on this thread, one lock before and one after
      Object out;
      Throwable err = null;
      MDC.put("runId", runId);
      MDC.put("step", id);
      try {
        out = engine.interceptor == null ? s.action().execute(ctx)
            : call(Invocation.Kind.ACTION, id, null, n, () -> s.action().execute(ctx));
      } catch (Throwable t) {
        out = null;
        err = t;
      } finally {
        MDC.remove("step");
        MDC.remove("runId");
      }
      synchronized (this) {
        inline.exit();
        untrack(inline);
        if (err == null) {
          record(new RunEvent.StepSucceeded(runId, id, n, out, now()));
          outputs.put(id, out);
          clearActive(id);
          return DONE_OK;
        }
      }
      return afterAttempt(s, id, frame, n, CompletableFuture.failedFuture(err));
    }
    CompletableFuture<Object> stage = invoke(s, id, n,
        intercepted(Invocation.Kind.ACTION, id, n, () -> s.action().execute(ctx)));
    if (stage.isDone()) {
      return afterAttempt(s, id, frame, n, stage);
    }
    return settled(id, stage).thenComposeAsync(x -> afterAttempt(s, id, frame, n, stage), engine.workers);
  }

  /**
   * Completes when {@code stage} does, whichever way. A call that timed out is interrupted right
   * here, on the thread that completes the stage (the timer's), before the run goes on on a worker:
   * the hanging call may hold the only worker there is.
   */
  private CompletableFuture<Void> settled(String id, CompletableFuture<Object> stage) {
    return stage.handle((r, e) -> {
      if (e != null && unwrap(e) instanceof TimeoutException) {
        interruptCalls(id);
      }
      return null;
    });
  }

  private synchronized void interruptCalls(String id) {
    for (Attempt a : inflight) {
      if (a.stepId.equals(id)) {
        a.interrupt();
      }
    }
  }

  // ---- interceptors

  /** Calls user code through the engine's interceptor. */
  private Object call(Invocation.Kind kind, String nodeId, String during, int n, Callable<Object> body) throws Exception {
    return engine.interceptor.intercept(new Invocation(kind, runId, runbook.name(), nodeId, during, n, now(), body));
  }

  /** {@code body}, called through the engine's interceptor if there is one. */
  private Callable<Object> intercepted(Invocation.Kind kind, String id, int n, Callable<Object> body) {
    return engine.interceptor == null ? body : () -> call(kind, id, null, n, body);
  }

  private static <T> T result(Class<T> type, Object value, String what) {
    if (value != null && !type.isInstance(value)) {
      throw new IllegalStateException("An interceptor returned a " + value.getClass().getName() + " for the " + what
          + "; it must return a " + type.getSimpleName());
    }
    return type.cast(value);
  }

  @SuppressWarnings("unchecked")
  private static java.util.Optional<Object> optional(Object value, String what) {
    return (java.util.Optional<Object>) result(java.util.Optional.class, value, what);
  }

  /** Whether attempts of {@code s} need no policy adapter: no timeout, breaker or user policy. */
  private static boolean isPlain(Step<Object, Object> s) {
    return s.timeout().isEmpty() && s.circuitBreaker().isEmpty() && s.policies().isEmpty();
  }

  /** Goes on from where the journal says the step was, without calling what already happened. */
  private CompletableFuture<Outcome> replayStep(Step<Object, Object> s, String id, Frame frame, History.StepRecord r) {
    if (r.succeeded) {
      return DONE_OK;
    }
    if (r.outcomeKnown && r.failedForGood) {
      RunbookException cause = new RunbookException(r.lastError);
      return switch (s.onFailure()) {
        case CONTINUE -> {
          if (!r.failureIgnored) {
            record(new RunEvent.StepFailureIgnored(runId, id, r.lastError, now()));
          }
          yield DONE_OK;
        }
        case ABORT -> done(Outcome.aborted(new StepFailedException(runbook.name(), runId, id, r.lastAttempt, -1, cause)));
        default -> done(Outcome.failed(
            new StepFailedException(runbook.name(), runId, id, r.lastAttempt, startedCount(), cause)));
      };
    }
    if (r.outcomeKnown) {
      // failed, another attempt due: wait only for what is left of the delay
      int next = r.nextAttempt > 0 ? r.nextAttempt : r.lastAttempt + 1;
      Duration left = r.nextAttemptAt == null ? Duration.ZERO : Duration.between(now(), r.nextAttemptAt);
      if (left.isNegative()) {
        left = Duration.ZERO;
      }
      setActive(id, RunState.WAITING);
      return pause(left).thenCompose(elapsed -> {
        if (!elapsed) {
          clearActive(id);
          return done(cancelledOutcome());
        }
        return attempt(s, id, frame, next);
      });
    }
    // started, outcome lost in the restart: ask the target, else attempt again with the same key
    if (s.reconcile().isPresent()) {
      Contexts.StepCtx ctx = new Contexts.StepCtx(this, frame, id, r.lastAttempt);
      try {
        java.util.Optional<Object> found = engine.interceptor == null ? s.reconcile().get().reconcile(ctx)
            : optional(call(Invocation.Kind.RECONCILE, id, null, r.lastAttempt, () -> s.reconcile().get().reconcile(ctx)),
                "reconcile of step '" + id + "'");
        if (found != null && found.isPresent()) {
          synchronized (this) {
            record(new RunEvent.StepReconciled(runId, id, r.lastAttempt, found.get(), now()));
            outputs.put(id, found.get());
          }
          return DONE_OK;
        }
      } catch (Exception e) {
        log.warn("Run {} ({}): reconcile of '{}' failed ({}); attempting the step again", runId, runbook.name(), id,
            describe(e));
      }
    }
    return attempt(s, id, frame, r.lastAttempt + 1);
  }

  private CompletableFuture<Outcome> afterAttempt(Step<Object, Object> s, String id, Frame frame, int n,
      CompletableFuture<Object> stage) {
    Throwable err;
    try {
      Object out = stage.join();
      synchronized (this) {
        record(new RunEvent.StepSucceeded(runId, id, n, out, now()));
        outputs.put(id, out);
        clearActive(id);
      }
      return DONE_OK;
    } catch (CompletionException | CancellationException e) {
      err = timeoutAware(s, id, n, unwrap(e));
    }
    if (cancelRequested) {
      record(new RunEvent.StepFailed(runId, id, n, describe(err), false, now()));
      clearActive(id);
      return done(cancelledOutcome());
    }
    boolean retry = n < s.retry().maxAttempts() && s.retry().retries(err);
    record(new RunEvent.StepFailed(runId, id, n, describe(err), retry, now()));
    log.warn("Run {} ({}): step '{}' attempt {} failed: {}", runId, runbook.name(), id, n, describe(err));
    if (retry) {
      Duration delay = s.retry().delayAfter(n, seed(id));
      record(new RunEvent.StepRetryScheduled(runId, id, n + 1, now().plus(delay), now()));
      setActive(id, RunState.WAITING);
      return pause(delay).thenCompose(elapsed -> {
        if (!elapsed) {
          clearActive(id);
          return done(cancelledOutcome());
        }
        return attempt(s, id, frame, n + 1);
      });
    }
    clearActive(id);
    return switch (s.onFailure()) {
      case CONTINUE -> {
        record(new RunEvent.StepFailureIgnored(runId, id, describe(err), now()));
        yield done(Outcome.OK);
      }
      case ABORT -> done(Outcome.aborted(new StepFailedException(runbook.name(), runId, id, n, -1, err)));
      default -> done(Outcome.failed(new StepFailedException(runbook.name(), runId, id, n, startedCount(), err)));
    };
  }

  private synchronized int startedCount() {
    return started.size();
  }

  private Throwable timeoutAware(Step<Object, Object> s, String id, int n, Throwable err) {
    if (err instanceof TimeoutException) {
      interruptCalls(id);
      return new StepTimeoutException(id, n, s.timeout().orElse(Duration.ZERO));
    }
    return err;
  }

  /**
   * Calls user code for one attempt: inline on this thread when the step has no timeout, breaker
   * or policy (the common, cheap case); else on another worker under the policy adapter.
   */
  private CompletableFuture<Object> invoke(Step<Object, Object> s, String id, int n, Callable<Object> call) {
    if (isPlain(s)) {
      return inline(id, call);
    }
    Supplier<CompletionStage<Object>> attempt = () -> async(id, call);
    PolicyContext pc = new PolicyContext(id, n, engine.clock, engine.timers);
    List<StepPolicy> policies = s.policies();
    for (int i = policies.size() - 1; i >= 0; i--) {
      StepPolicy p = policies.get(i);
      Supplier<CompletionStage<Object>> inner = attempt;
      attempt = () -> p.apply(inner, pc);
    }
    try {
      return engine.policies.execute(s.timeout().orElse(null), s.circuitBreaker().orElse(null), attempt, pc)
          .toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The output of step {@code id}, or null when it has not succeeded. */
  synchronized Output output(String id) {
    return outputs.containsKey(id) ? new Output(outputs.get(id)) : null;
  }

  private synchronized void track(Attempt a) {
    inflight.add(a);
  }

  private synchronized void untrack(Attempt a) {
    for (int i = inflight.size() - 1; i >= 0; i--) {
      if (inflight.get(i) == a) {
        inflight.remove(i);
        return;
      }
    }
  }

  private CompletableFuture<Object> inline(String id, Callable<Object> call) {
    Attempt a = new Attempt(id);
    synchronized (this) {
      inflight.add(a);
      a.enter();
    }
    MDC.put("runId", runId);
    MDC.put("step", id);
    try {
      return CompletableFuture.completedFuture(call.call());
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    } finally {
      MDC.remove("step");
      MDC.remove("runId");
      synchronized (this) {
        a.exit();
        untrack(a);
      }
    }
  }

  private CompletableFuture<Object> async(String id, Callable<Object> call) {
    CompletableFuture<Object> cf = new CompletableFuture<>();
    Attempt a = new Attempt(id);
    track(a);
    try {
      engine.workers.execute(() -> {
        boolean entered;
        synchronized (this) {
          entered = a.enter();
          if (!entered) {
            untrack(a);
          }
        }
        if (!entered) {
          cf.completeExceptionally(new InterruptedException("attempt of '" + id + "' was interrupted before it began"));
          return;
        }
        MDC.put("runId", runId);
        MDC.put("step", id);
        try {
          cf.complete(call.call());
        } catch (Throwable t) {
          cf.completeExceptionally(t);
        } finally {
          MDC.remove("step");
          MDC.remove("runId");
          synchronized (this) {
            a.exit();
            untrack(a);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      untrack(a);
      cf.completeExceptionally(e);
    }
    return cf;
  }

  // ---- watches

  private Outcome checkWatches(Frame frame, String at, String where) {
    for (Watch<Object> w : frame.watches) {
      Health h;
      MDC.put("runId", runId);
      try {
        Contexts.RunCtx ctx = new Contexts.RunCtx(this, frame);
        h = engine.interceptor == null ? w.check().check(ctx)
            : result(Health.class, call(Invocation.Kind.WATCH_CHECK, w.name(), at, 0, () -> w.check().check(ctx)),
                "check of watch '" + w.name() + "'");
      } catch (Exception e) {
        h = Health.breached("its check failed: " + describe(e));
      } finally {
        MDC.remove("runId");
      }
      if (h == null) {
        h = Health.breached("its check returned null");
      }
      if (!h.isHealthy()) {
        record(new RunEvent.WatchBreached(runId, w.name(), h.reason(), now()));
        return Outcome.failed(new WatchBreachedException(runbook.name(), runId, w.name(), where, h.reason()));
      }
    }
    return null;
  }

  // ---- gates

  private CompletableFuture<Outcome> gate(Gate<Object> g, Frame frame) {
    String id = frame.child(g.name());
    History.GateRecord replay = history == null ? null : history.gates.get(id);
    if (replay != null) {
      if (replay.passed) {
        return DONE_OK;
      }
      if (replay.rejectedReason != null) {
        GateRejectedException e = new GateRejectedException(runbook.name(), runId, id, replay.rejectedReason);
        return done(switch (g.onFailure()) {
          case CONTINUE -> Outcome.OK;
          case ABORT -> Outcome.aborted(e);
          default -> Outcome.failed(e);
        });
      }
      if (replay.approvalRequested) {
        return approval(g, id, replay);
      }
      if (replay.recheckAt != null) {
        Instant deadline = replay.deadline;
        Duration left = Duration.between(now(), replay.recheckAt);
        setActive(id, RunState.WAITING);
        return pause(left.isNegative() ? Duration.ZERO : left).thenCompose(elapsed -> {
          if (!elapsed) {
            clearActive(id);
            return done(cancelledOutcome());
          }
          setActive(id, RunState.RUNNING);
          return checkGate(g, id, frame, deadline, replay.checks + 1);
        });
      }
    }
    if (g.approval().isPresent()) {
      return approval(g, id, null);
    }
    Instant deadline = g.timeout().map(t -> now().plus(t)).orElse(null);
    setActive(id, RunState.RUNNING);
    return checkGate(g, id, frame, deadline, 1);
  }

  private CompletableFuture<Outcome> checkGate(Gate<Object> g, String id, Frame frame, Instant deadline, int n) {
    if (cancelRequested) {
      clearActive(id);
      return done(cancelledOutcome());
    }
    GateDecision d;
    MDC.put("runId", runId);
    try {
      Contexts.RunCtx ctx = new Contexts.RunCtx(this, frame);
      d = engine.interceptor == null ? g.check().orElseThrow().check(ctx)
          : result(GateDecision.class, call(Invocation.Kind.GATE_CHECK, id, null, n,
              () -> g.check().orElseThrow().check(ctx)), "check of gate '" + id + "'");
    } catch (Exception e) {
      d = GateDecision.recheck("its check failed: " + describe(e));
    } finally {
      MDC.remove("runId");
    }
    if (d == null) {
      d = GateDecision.recheck("its check returned null");
    }
    switch (d.verdict()) {
      case PASS:
        record(new RunEvent.GatePassed(runId, id, now()));
        clearActive(id);
        return done(Outcome.OK);
      case REJECT:
        return done(rejectGate(g, id, d.reason()));
      default:
        Instant now = now();
        if (deadline != null && !now.isBefore(deadline)) {
          return done(rejectGate(g, id, "timed out after " + Durations.format(g.timeout().orElseThrow()) + " and " + n
              + (n == 1 ? " check" : " checks") + "; last answer: " + d.reason()));
        }
        Duration wait = d.after().orElse(g.every());
        if (deadline != null && now.plus(wait).isAfter(deadline)) {
          wait = Duration.between(now, deadline);
        }
        record(new RunEvent.GateWaiting(runId, id, d.reason(), now.plus(wait), deadline, now));
        setActive(id, RunState.WAITING);
        return pause(wait).thenCompose(elapsed -> {
          if (!elapsed) {
            clearActive(id);
            return done(cancelledOutcome());
          }
          setActive(id, RunState.RUNNING);
          return checkGate(g, id, frame, deadline, n + 1);
        });
    }
  }

  private Outcome rejectGate(Gate<Object> g, String id, String reason) {
    record(new RunEvent.GateRejected(runId, id, reason, now()));
    return rejected(g, id, reason);
  }

  /** What follows a gate's rejection (journaled already). */
  private Outcome rejected(Gate<Object> g, String id, String reason) {
    clearActive(id);
    GateRejectedException e = new GateRejectedException(runbook.name(), runId, id, reason);
    return switch (g.onFailure()) {
      case CONTINUE -> Outcome.OK;
      case ABORT -> Outcome.aborted(e);
      default -> Outcome.failed(e);
    };
  }

  /** Parks the run at an approval gate; {@code replay} restores one requested before a restart. */
  private CompletableFuture<Outcome> approval(Gate<Object> g, String id, History.GateRecord replay) {
    ApprovalSpec spec = g.approval().orElseThrow();
    PendingApproval pa = new PendingApproval(g, id, spec);
    synchronized (this) {
      if (cancelRequested) {
        return done(cancelledOutcome());
      }
      Instant deadline;
      if (replay == null) {
        deadline = spec.timeout().map(t -> now().plus(t)).orElse(null);
        record(new RunEvent.ApprovalRequested(runId, id, spec.toString(), spec.minApprovals(), deadline, now()));
      } else {
        deadline = replay.approvalDeadline;
        pa.approvedBy.addAll(replay.approvedBy);
        if (pa.approvedBy.size() >= spec.minApprovals()) {
          // the last approval was journaled, but the process died before the gate's pass was
          record(new RunEvent.GatePassed(runId, id, now()));
          return DONE_OK;
        }
      }
      pa.deadline = deadline;
      approvals.put(id, pa);
      setActive(id, RunState.AWAITING_APPROVAL);
      Duration left = deadline == null ? null : Duration.between(now(), deadline);
      if (tryPark(left == null ? ChronoUnit.FOREVER.getDuration() : left, true)) {
        return pa.future;  // never completes: approve, reject, cancel or the deadline rebuild the run
      }
      if (deadline != null) {
        pa.timer = engine.scheduler.schedule(left.isNegative() ? Duration.ZERO : left,
            () -> onWorker(() -> approvalTimedOut(pa)));
      }
    }
    log.info("Run {} ({}): gate '{}' awaits approval: {}", runId, runbook.name(), id, spec);
    return pa.future;
  }

  private void approvalTimedOut(PendingApproval pa) {
    Outcome o;
    try {
      while (true) {
        synchronized (this) {
          if (pa.future.isDone() || approvals.get(pa.id) != pa) {
            return;  // decided meanwhile, here or by another process
          }
          String reason = "only " + pa.approvedBy.size() + " of " + pa.spec.minApprovals() + " approvals "
              + (pa.approvedBy.isEmpty() ? "" : pa.approvedBy + " ") + "arrived within "
              + Durations.format(pa.spec.timeout().orElseThrow());
          try {
            // a decision like any other: recorded only if no approval or rejection came first
            recordDecision(List.of(new RunEvent.GateRejected(runId, pa.id, reason, now())));
          } catch (DecisionRaced raced) {
            catchUp();
            continue;
          }
          approvals.remove(pa.id);
          decided.put(pa.id, reason);
          o = rejected(pa.gate, pa.id, reason);
          break;
        }
      }
    } catch (RuntimeException e) {
      o = internalError(e);
    }
    pa.future.complete(o);
  }

  private PendingApproval pending(String gate) {
    PendingApproval pa = approvals.get(gate);
    if (pa == null) {
      for (PendingApproval p : approvals.values()) {
        if (p.gate.name().equals(gate)) {
          if (pa != null) {
            throw new ApprovalException("Gate name '" + gate + "' is awaiting approval more than once in run " + runId
                + "; use the gate id, one of " + approvals.keySet());
          }
          pa = p;
        }
      }
    }
    if (pa == null) {
      String how = decidedAlready(gate);
      if (how != null) {
        throw new ApprovalException("Gate '" + gate + "' of run " + runId + " (" + runbook.name() + ") has been"
            + " decided already: " + how + "; this decision was not recorded");
      }
      throw new ApprovalException("Gate '" + gate + "' of run " + runId + " (" + runbook.name()
          + ") is not awaiting approval (run is " + state + (approvals.isEmpty() ? "" : "; awaiting: "
          + approvals.keySet()) + ")");
    }
    return pa;
  }

  /** How the gate {@code gate} (an id or a name) was decided, here or in the journal this object was rebuilt from. */
  private String decidedAlready(String gate) {
    for (Map.Entry<String, String> e : decided.entrySet()) {
      if (e.getKey().equals(gate) || e.getKey().endsWith("/" + gate)) {
        return e.getValue();
      }
    }
    if (history != null) {
      for (Map.Entry<String, History.GateRecord> e : history.gates.entrySet()) {
        History.GateRecord g = e.getValue();
        if ((e.getKey().equals(gate) || e.getKey().endsWith("/" + gate)) && g.approvalRequested) {
          if (g.passed) {
            return "passed, approved by " + String.join(", ", g.approvedBy);
          }
          if (g.rejectedReason != null) {
            return g.rejectedReason;
          }
        }
      }
    }
    return null;
  }

  private void checkDecider(PendingApproval pa, String user) {
    if (user == null || user.isBlank()) {
      throw new ApprovalException("An approval of gate '" + pa.id + "' of run " + runId + " names no user");
    }
    if (user.equals(requester)) {
      throw new ApprovalException("User '" + user + "' requested run " + runId + " (" + runbook.name()
          + ") and may not approve or reject its gate '" + pa.id + "'; ask another approver (" + pa.spec + ")");
    }
    if (!pa.spec.mayApprove(user)) {
      throw new ApprovalException("User '" + user + "' may not approve or reject gate '" + pa.id + "' of run " + runId
          + " (" + runbook.name() + "); it needs " + pa.spec);
    }
  }

  RunStatus approve(String gate, String user, String comment, String planHash) {
    PendingApproval pa;
    synchronized (this) {
      if (parked) {
        throw new Parked();
      }
      pa = pending(gate);
      if (planHash != null && !planHash.equals(plan.hash())) {
        throw new ApprovalException("The approval of gate '" + pa.id + "' by '" + user + "' was given for plan "
            + abbreviate(planHash) + ", but run " + runId + " runs plan " + abbreviate(plan.hash())
            + "; review the run's plan and approve again");
      }
      checkDecider(pa, user);
      checkOpen(pa, user);
      if (pa.approvedBy.contains(user)) {
        return status();
      }
      List<RunEvent> decision = new ArrayList<>(2);
      decision.add(new RunEvent.ApprovalGranted(runId, pa.id, user, comment == null ? "" : comment, plan.hash(),
          now()));
      if (pa.approvedBy.size() + 1 >= pa.spec.minApprovals()) {
        decision.add(new RunEvent.GatePassed(runId, pa.id, now()));
      }
      recordDecision(decision);  // durable before it is acknowledged
      for (RunEvent e : decision) {
        applyDecision(e);
      }
    }
    return status();
  }

  RunStatus reject(String gate, String user, String reason) {
    synchronized (this) {
      if (parked) {
        throw new Parked();
      }
      PendingApproval pa = pending(gate);
      checkDecider(pa, user);
      checkOpen(pa, user);
      RunEvent decision = new RunEvent.GateRejected(runId, pa.id, "rejected by " + user
          + (reason == null || reason.isBlank() ? "" : ": " + reason), now());
      recordDecision(List.of(decision));
      applyDecision(decision);
    }
    return status();
  }

  /** A gate whose deadline passed takes no more decisions (its timeout is the decision). */
  private void checkOpen(PendingApproval pa, String user) {
    if (pa.deadline != null && !now().isBefore(pa.deadline)) {
      throw new ApprovalException("Gate '" + pa.id + "' of run " + runId + " (" + runbook.name() + ") timed out at "
          + pa.deadline + "; the decision of '" + user + "' was not recorded");
    }
  }

  /** Thrown when a decision was not recorded because the run's journal moved: read it again, decide again. */
  static final class DecisionRaced extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DecisionRaced() {
      super(null, null, false, false);
    }
  }

  /**
   * Records a decision only if the journal holds exactly what this object knows: the first decision
   * that closes a gate wins, whichever process takes it. Holds this.
   *
   * @throws DecisionRaced when the journal moved (another process wrote); nothing is recorded
   */
  private void recordDecision(List<RunEvent> events) {
    if (storageError != null) {
      throw new JournalException("Run " + runId + " is paused on a storage error; this decision was not recorded",
          null);
    }
    boolean recorded;
    try {
      recorded = engine.journal.appendIf(runId, journaled, events);
    } catch (JournalException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new JournalException("The journal could not record a decision on run " + runId + " (" + runbook.name()
          + "): " + e.getMessage(), e);
    }
    if (!recorded) {
      throw new DecisionRaced();
    }
    journaled += events.size();
    updatedAt = events.get(events.size() - 1).at();
    for (RunEvent e : events) {
      engine.dispatch(this, e);
    }
  }

  /**
   * Reads the run's journal again and applies what another process decided meanwhile (approvals,
   * a gate's pass or rejection, a cancel); each applies once, whoever reads it again.
   */
  void catchUp() {
    List<RunEvent> events = engine.journal.read(runId);
    List<RunEvent> learnt = new ArrayList<>();
    synchronized (this) {
      for (RunEvent e : events) {
        if (applyDecision(e)) {
          learnt.add(e);
        }
      }
      journaled = Math.max(journaled, events.size());
    }
    for (RunEvent e : learnt) {
      engine.dispatch(this, e);  // this engine's listeners hear of decisions taken elsewhere too
    }
  }

  /**
   * Applies a journaled decision to this object, once (a second application changes nothing); true
   * when it changed something. Holds this.
   */
  private boolean applyDecision(RunEvent e) {
    if (e instanceof RunEvent.CancelRequested c) {
      if (cancelRequested || rollingBack || state.isTerminal()) {
        return false;
      }
      cancelled(c.by(), c.reason());
      return true;
    }
    String gateId = e instanceof RunEvent.ApprovalGranted a ? a.gateId() : e instanceof RunEvent.GatePassed g
        ? g.gateId() : e instanceof RunEvent.GateRejected r ? r.gateId() : null;
    PendingApproval pa = gateId == null ? null : approvals.get(gateId);
    if (pa == null || pa.future.isDone()) {
      return false;
    }
    if (e instanceof RunEvent.ApprovalGranted a) {
      return pa.approvedBy.add(a.user());
    }
    approvals.remove(pa.id);
    if (pa.timer != null) {
      pa.timer.cancel();
    }
    Outcome o;
    if (e instanceof RunEvent.GatePassed) {
      decided.put(pa.id, "passed, approved by " + String.join(", ", pa.approvedBy));
      clearActive(pa.id);
      o = Outcome.OK;
    } else {
      decided.put(pa.id, ((RunEvent.GateRejected) e).reason());
      o = rejected(pa.gate, pa.id, ((RunEvent.GateRejected) e).reason());
    }
    onWorker(() -> pa.future.complete(o));
    return true;
  }

  private static String abbreviate(String hash) {
    return hash == null ? "none" : hash.substring(0, Math.min(12, hash.length()));
  }

  // ---- waits

  private CompletableFuture<Outcome> waitNode(Wait<Object> w, Frame frame) {
    String id = frame.child(w.name());
    History.WaitRecord replay = history == null ? null : history.waits.get(id);
    if (replay != null && replay.finished) {
      return DONE_OK;
    }
    Instant deadline;
    if (replay != null) {
      deadline = replay.deadline;  // absolute: only what is left is waited for
    } else {
      deadline = now().plus(w.duration());
      record(new RunEvent.WaitStarted(runId, id, w.kind(), deadline, now()));
    }
    setActive(id, RunState.WAITING);
    Duration left = Duration.between(now(), deadline);
    return switch (w.kind()) {
      case SLEEP -> pause(left.isNegative() ? Duration.ZERO : left)
          .thenApply(elapsed -> elapsed ? finishWait(id) : cancelledWait(id));
      case BAKE -> replay != null ? bakeResumed(id, frame, deadline) : bake(id, frame, deadline);
      default -> poll(w, id, frame, deadline, 1);
    };
  }

  private Outcome finishWait(String id) {
    record(new RunEvent.WaitFinished(runId, id, now()));
    clearActive(id);
    return Outcome.OK;
  }

  private Outcome cancelledWait(String id) {
    clearActive(id);
    return cancelledOutcome();
  }

  private CompletableFuture<Outcome> bake(String id, Frame frame, Instant deadline) {
    Instant now = now();
    if (!now.isBefore(deadline)) {
      return done(finishWait(id));
    }
    Duration every = frame.watches.stream().map(Watch::every).min(Duration::compareTo).orElse(Duration.ofMinutes(1));
    Duration left = Duration.between(now, deadline);
    return pause(every.compareTo(left) < 0 ? every : left).thenCompose(elapsed -> {
      if (!elapsed) {
        return done(cancelledWait(id));
      }
      Outcome breach = checkWatches(frame, id, "during bake '" + id + "'");
      if (breach != null) {
        clearActive(id);
        return done(breach);
      }
      return bake(id, frame, deadline);
    });
  }

  /** A bake picked up from the journal (after a restart or parking): the watches are checked first. */
  private CompletableFuture<Outcome> bakeResumed(String id, Frame frame, Instant deadline) {
    Outcome breach = checkWatches(frame, id, "during bake '" + id + "'");
    if (breach != null) {
      clearActive(id);
      return done(breach);
    }
    return bake(id, frame, deadline);
  }

  private CompletableFuture<Outcome> poll(Wait<Object> w, String id, Frame frame, Instant deadline, int n) {
    boolean holds;
    MDC.put("runId", runId);
    try {
      Contexts.RunCtx ctx = new Contexts.RunCtx(this, frame);
      holds = engine.interceptor == null ? w.condition().orElseThrow().test(ctx)
          : Boolean.TRUE.equals(result(Boolean.class, call(Invocation.Kind.WAIT_CONDITION, id, null, n,
              () -> w.condition().orElseThrow().test(ctx)), "condition of wait '" + id + "'"));
    } catch (Exception e) {
      holds = false;
    } finally {
      MDC.remove("runId");
    }
    if (holds) {
      return done(finishWait(id));
    }
    Outcome breach = checkWatches(frame, id, "during waitUntil '" + id + "'");
    if (breach != null) {
      clearActive(id);
      return done(breach);
    }
    Instant now = now();
    if (!now.isBefore(deadline)) {
      clearActive(id);
      return done(Outcome.failed(new WaitTimeoutException(runbook.name(), runId, id, w.duration(), n)));
    }
    Duration left = Duration.between(now, deadline);
    return pause(w.every().compareTo(left) < 0 ? w.every() : left).thenCompose(elapsed ->
        elapsed ? poll(w, id, frame, deadline, n + 1) : done(cancelledWait(id)));
  }

  /** Completes with true after {@code d}, or with false as soon as the run is cancelled. */
  private CompletableFuture<Boolean> pause(Duration d) {
    CompletableFuture<Boolean> p = new CompletableFuture<>();
    if (tryPark(d, false)) {
      return p;  // never completes: this object is dropped, and the run is rebuilt from the journal at its time
    }
    pauses.add(p);
    if (cancelRequested) {
      pauses.remove(p);
      p.complete(false);
      return p;
    }
    Cancellable timer = engine.scheduler.schedule(d, () -> onWorker(() -> p.complete(true)));
    p.whenComplete((r, e) -> {
      pauses.remove(p);
      if (!Boolean.TRUE.equals(r)) {
        timer.cancel();
      }
    });
    return p;
  }

  /**
   * Parks the run if all it does now is wait {@code d} (at least the engine's threshold) at one
   * wait or one approval, with no user code running: this object stops here and the engine keeps
   * only a small entry (its time to wake is queued behind one timer for all parked runs) and rebuilds the run
   * from the journal when the time comes or a decision arrives. Everything the run did is in the
   * journal already (write-ahead), so a parked run is what a crashed run is, minus the crash.
   */
  private boolean tryPark(Duration d, boolean approval) {
    Duration threshold = engine.parkAfter;
    if (!mayPark || threshold == null || d.compareTo(threshold) < 0) {
      return false;
    }
    synchronized (this) {
      if (parked || concurrent.get() > 0 || activeIds.size() != 1 || !inflight.isEmpty() || rollingBack || cancelRequested
          || storageError != null || state.isTerminal() || approvals.size() != (approval ? 1 : 0)) {
        return false;
      }
      parked = true;
    }
    engine.park(this, approval, d.equals(ChronoUnit.FOREVER.getDuration()) ? null : now().plus(d));
    synchronized (this) {
      signal.complete(null);
    }
    return true;
  }

  boolean parked() {
    return parked;
  }

  /** Thrown to the engine when a call reaches a run object that has just parked: it retries on the parked run. */
  static final class Parked extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Parked() {
      super(null, null, false, false);
    }
  }

  /** A delay that cancel does not cut short: for the rollback's own retries. */
  private CompletableFuture<Void> delay(Duration d) {
    CompletableFuture<Void> p = new CompletableFuture<>();
    engine.scheduler.schedule(d, () -> onWorker(() -> p.complete(null)));
    return p;
  }

  // ---- composites

  private CompletableFuture<Outcome> parallel(Parallel<Object> p, Frame frame) {
    concurrent.incrementAndGet();
    return parallelBranches(p, frame).whenComplete((o, e) -> concurrent.decrementAndGet());
  }

  private CompletableFuture<Outcome> parallelBranches(Parallel<Object> p, Frame frame) {
    String id = frame.child(p.name());
    AtomicBoolean halt = new AtomicBoolean();
    Frame scope = frame.haltScope(id, halt);
    AtomicReference<Outcome> worst = new AtomicReference<>(Outcome.OK);
    List<CompletableFuture<Outcome>> branches = new ArrayList<>();
    for (Group<Object> b : p.branches()) {
      Frame bf = scope.group(id + "/" + b.name(), b.watches());
      CompletableFuture<Outcome> r = new CompletableFuture<>();
      branches.add(r);
      onWorker(() -> sequence(b.nodes(), bf).whenComplete((o, e) -> {
        Outcome out = e == null ? o : internalError(e);
        if (out.kind() != Outcome.Kind.OK && out.kind() != Outcome.Kind.STOPPED) {
          halt.set(true);
        }
        worst.accumulateAndGet(out, (a, c) -> c.severity() > a.severity() ? c : a);
        r.complete(out);
      }));
    }
    return CompletableFuture.allOf(branches.toArray(new CompletableFuture<?>[0])).thenApply(x -> worst.get());
  }

  private CompletableFuture<Outcome> forEach(ForEach<Object, Object> fe, Frame frame) {
    concurrent.incrementAndGet();
    return forEachItems(fe, frame).whenComplete((o, e) -> concurrent.decrementAndGet());
  }

  private CompletableFuture<Outcome> forEachItems(ForEach<Object, Object> fe, Frame frame) {
    String id = frame.child(fe.name());
    indexed();
    String staticPath = staticPaths.get(fe.name());
    List<?> list = items.get(fe.name());
    if (list.isEmpty()) {
      return done(Outcome.OK);
    }
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    new Object() {
      int next;
      int inFlight;
      int failed;
      boolean stop;
      Outcome first;
      Outcome worst;

      void launch() {
        List<Runnable> toStart = new ArrayList<>();
        boolean finished;
        synchronized (this) {
          while (!stop && inFlight < fe.maxConcurrency() && next < list.size()) {
            Object item = list.get(next++);
            inFlight++;
            String rid = id + "[" + item + "]";
            Frame itf = frame.item(staticPath, rid, item);
            toStart.add(() -> sequence(fe.nodes(), itf).whenComplete((o, e) -> done(e == null ? o : internalError(e))));
          }
          finished = inFlight == 0 && toStart.isEmpty();
        }
        toStart.forEach(Run.this::onWorker);
        if (finished) {
          complete();
        }
      }

      void done(Outcome o) {
        synchronized (this) {
          inFlight--;
          if (o.kind() == Outcome.Kind.FAILED) {
            failed++;
            if (first == null) {
              first = o;
            }
            if (failed > fe.maxErrors()) {
              stop = true;
            }
          } else if (!o.ok() && o.kind() != Outcome.Kind.STOPPED) {
            stop = true;
            if (worst == null || o.severity() > worst.severity()) {
              worst = o;
            }
          }
        }
        launch();
      }

      void complete() {
        if (result.isDone()) {
          return;
        }
        Outcome r;
        synchronized (this) {
          if (worst != null) {
            r = worst;
          } else if (failed > fe.maxErrors()) {
            r = Outcome.failed(new ThresholdExceededException(runbook.name(), runId, id, failed, list.size(),
                fe.maxErrors(), first.cause()));
          } else {
            r = Outcome.OK;
          }
        }
        result.complete(r);
      }
    }.launch();
    return result;
  }

  // ---------------------------------------------------------------- rollback

  private CompletableFuture<Void> rollback(Outcome cause) {
    List<Started> order;
    synchronized (this) {
      rollingBack = true;
      order = new ArrayList<>(started);
    }
    Collections.reverse(order);
    if (history == null || history.rollback == null) {
      record(new RunEvent.RollbackStarted(runId, cause.cause() == null ? cause.kind().name()
          : cause.cause().getMessage(), order.stream().map(Started::id).toList(), now()));
    }
    updateState();
    log.warn("Run {} ({}) rolling back {} started steps: {}", runId, runbook.name(), order.size(),
        cause.cause() == null ? cause.kind() : cause.cause().getMessage());
    CompletableFuture<Void> finished = new CompletableFuture<>();
    compensateFrom(order, 0, finished);
    return finished;
  }

  private void compensateFrom(List<Started> order, int from, CompletableFuture<Void> finished) {
    try {
      for (int i = from; i < order.size(); i++) {
        Started st = order.get(i);
        if (history != null && (history.compensated.contains(st.id()) || history.compensationFailed.contains(st.id())
            || history.skipped.contains(st.id()))) {
          continue;  // done before the restart
        }
        Reversibility r = st.step().reversibility();
        if (r != Reversibility.COMPENSATED) {
          record(new RunEvent.CompensationSkipped(runId, st.id(), r, now()));
          synchronized (this) {
            notUndone.add(st.id());
          }
          continue;
        }
        int attempt = history == null ? 1 : history.compensationAttempts.getOrDefault(st.id(), 0) + 1;
        CompletableFuture<Void> c = compensate(st, attempt);
        if (!c.isDone() || c.isCompletedExceptionally()) {
          int next = i + 1;
          c.whenComplete((x, e) -> {
            if (e != null) {
              finished.completeExceptionally(e);
            } else {
              compensateFrom(order, next, finished);
            }
          });
          return;
        }
      }
      finished.complete(null);
    } catch (RuntimeException e) {
      finished.completeExceptionally(e);
    }
  }

  private CompletableFuture<Void> compensate(Started st, int n) {
    Step<Object, Object> s = st.step();
    String id = st.id();
    checkFence(id);
    record(new RunEvent.CompensationStarted(runId, id, n, now()));
    Contexts.StepCtx ctx = new Contexts.StepCtx(this, st.frame(), id, n);
    Output out = output(id);
    Object value = out == null ? null : out.value();
    CompletableFuture<Object> stage = invoke(s, id, n, intercepted(Invocation.Kind.COMPENSATION, id, n, () -> {
      s.compensation().orElseThrow().compensate(ctx, value);
      return null;
    }));
    if (stage.isDone()) {
      return afterCompensation(st, n, stage);
    }
    return settled(id, stage).thenComposeAsync(x -> afterCompensation(st, n, stage), engine.workers);
  }

  private CompletableFuture<Void> afterCompensation(Started st, int n, CompletableFuture<Object> stage) {
    Step<Object, Object> s = st.step();
    String id = st.id();
    try {
      stage.join();
      record(new RunEvent.CompensationSucceeded(runId, id, n, now()));
      synchronized (this) {
        compensated.add(id);
      }
      return CompletableFuture.completedFuture(null);
    } catch (CompletionException | CancellationException e) {
      Throwable err = timeoutAware(s, id, n, unwrap(e));
      boolean retry = n < s.compensationRetry().maxAttempts() && s.compensationRetry().retries(err);
      record(new RunEvent.CompensationFailed(runId, id, n, describe(err), retry, now()));
      log.warn("Run {} ({}): compensation of '{}' attempt {} failed: {}", runId, runbook.name(), id, n, describe(err));
      if (retry) {
        return delay(s.compensationRetry().delayAfter(n, seed(id) + 1)).thenCompose(x -> compensate(st, n + 1));
      }
      synchronized (this) {
        compensationFailed.add(id);
        RunbookException wrapped = new RunbookException("Compensation of step '" + id + "' of run " + runId
            + " failed after " + n + (n == 1 ? " attempt: " : " attempts: ") + describe(err), err);
        compensationErrors.add(wrapped);
      }
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  // ---------------------------------------------------------------- cancel

  RunStatus cancel(String by, String reason) {
    synchronized (this) {
      if (parked) {
        throw new Parked();
      }
      if (state.isTerminal() || cancelRequested) {
        return status();  // ended, or cancelled already: nothing is journaled
      }
      RunEvent decision = new RunEvent.CancelRequested(runId, by, reason == null ? "" : reason, now());
      recordDecision(List.of(decision));
      if (rollingBack) {
        log.info("Run {} ({}): cancel by {} recorded; the rollback goes on", runId, runbook.name(), by);
        return status();
      }
      cancelled(by, reason);
    }
    return status();
  }

  /**
   * What follows a journaled cancel: the action in flight is interrupted, waits and approvals end,
   * and the run rolls back. Nothing when the run is cancelled, rolling back or ended already. Holds this.
   */
  private void cancelled(String by, String reason) {
    if (cancelRequested || rollingBack || state.isTerminal()) {
      return;
    }
    cancelRequested = true;
    cancelledBy = by;
    cancelReason = reason;
    List<PendingApproval> waiting = new ArrayList<>(approvals.values());
    approvals.clear();
    inflight.forEach(Attempt::interrupt);
    for (CompletableFuture<Boolean> p : pauses) {
      onWorker(() -> p.complete(false));
    }
    for (PendingApproval pa : waiting) {
      if (pa.timer != null) {
        pa.timer.cancel();
      }
      clearActive(pa.id);
      onWorker(() -> pa.future.complete(cancelledOutcome()));
    }
  }

  // ---------------------------------------------------------------- helpers

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String describe(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }
}
