package dev.runbook4j.internal.run;

import dev.runbook4j.JournalException;
import dev.runbook4j.LeaseLostException;
import dev.runbook4j.Node;
import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookException;
import dev.runbook4j.Scrubber;
import dev.runbook4j.Secret;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run: the coordinator of its ledger (its state), its activity (what it does right now) and
 * the rooms that interpret each kind of node. Nodes run synchronously on the worker that reaches
 * them while they can (no hop per step); a wait, a re-check, a retry delay, an approval or an
 * attempt with a timeout returns a future and the run continues from its callback, holding no
 * thread meanwhile. The engine reaches it through this class alone; it reaches the engine through
 * {@link RunHost} alone.
 */
public final class Run {
  private static final Logger log = LoggerFactory.getLogger(Run.class);

  /** Why this object exists. */
  public enum Purpose {
    /** A new run: it journals its start. */
    NEW,
    /** Picked up again from its journal after a restart or a takeover: it journals {@code RunResumed}. */
    RESUMED,
    /** Rebuilt to go on after it parked (or after a storage error): not a restart, nothing is journaled. */
    UNPARKED
  }

  final RunHost host;
  public final String runId;
  public final Runbook<Object> runbook;
  public final Object params;
  /** Masks the secrets of the run's parameters in every text that leaves user code. */
  final Scrubber scrubber;
  public final String requester;
  public final Plan plan;
  /** Completes when the run ends; shared by every object of this run in this engine (parking, recovery). */
  public final CompletableFuture<RunResult> done;
  public final AtomicInteger listenerFailures = new AtomicInteger();
  /** Whether this object may park; off while a decision it was woken for is applied. */
  public volatile boolean mayPark = true;

  private final Purpose purpose;
  /** The run's state; guarded by this (replaced whole when the journal is read again: {@link #catchUp}). */
  /** Replaced (under this run's monitor) when the journal is folded again; volatile for {@link #cancelRequested}. */
  private volatile RunLedger ledger;
  final RunIndex index;
  final UserCode calls;
  final RunLocks locks;
  final Steps steps;
  final Gates gates;
  final Waits waits;
  final Composites composites;
  final Choices choices;
  final Notifications notifications;
  final Rollback rollback;
  final Cancel cancel;
  /** Parallels and forEach loops in progress: a run inside one has several strands and does not park. */
  final AtomicInteger concurrent = new AtomicInteger();

  /** What the run does now; guarded by this. */
  private final Activity activity = new Activity();
  private volatile RunState state = RunState.RUNNING;
  private volatile CompletableFuture<Void> signal = new CompletableFuture<>();
  private RunbookException failure;
  private volatile JournalException storageError;
  /** Set on an object rebuilt after a storage error until its first event is recorded. */
  private volatile boolean afterStorageError;
  /** Set when this object parked: it does nothing more; the engine holds the run as a parked entry. */
  private volatile boolean parked;

  /**
   * A run object.
   *
   * @param ledger the run's ledger: empty for a new run, folded from its journal for a rebuilt one
   */
  @SuppressWarnings("unchecked")
  public Run(RunHost host, String runId, Runbook<?> runbook, Object params, String requester, Plan plan,
      RunLedger ledger, CompletableFuture<RunResult> done, Purpose purpose) {
    this.host = host;
    this.runId = runId;
    this.runbook = (Runbook<Object>) runbook;
    this.params = params;
    this.scrubber = Scrubber.of(Secret.findIn(params));
    this.requester = requester;
    this.plan = plan;
    this.ledger = ledger;
    this.done = done;
    this.purpose = purpose;
    this.index = new RunIndex(this);
    this.calls = new UserCode(this);
    this.locks = new RunLocks(this);
    this.steps = new Steps(this);
    this.gates = new Gates(this);
    this.waits = new Waits(this);
    this.composites = new Composites(this);
    this.choices = new Choices(this);
    this.notifications = new Notifications(this);
    this.rollback = new Rollback(this);
    this.cancel = new Cancel(this);
    if (ledger.state() == RunState.WAITING) {
      state = RunState.WAITING;  // where it was: the way back into the wait writes nothing
    }
  }

  /** A new run, with an empty ledger. */
  public static Run fresh(RunHost host, String runId, Runbook<?> runbook, Object params, String requester, Plan plan) {
    return new Run(host, runId, runbook, params, requester, plan,
        new RunLedger(runId, RunIndex.stepCount(runbook.nodes())), new CompletableFuture<>(),
        Purpose.NEW);
  }

  // ---------------------------------------------------------------- events and state

  /** The run's ledger; read and changed under this object's monitor. */
  /** The ledger; read its records while holding this run's monitor. */
  RunLedger ledger() {
    return ledger;
  }

  /** Replaces the ledger with one folded from the whole journal (holding this). */
  void replaceLedger(RunLedger folded) {
    ledger = folded;
  }

  Instant now() {
    return host.clock().instant();
  }

  /** Journals {@code event} (write-ahead: durable before anything it announces), applies it, tells the listeners. */
  void record(RunEvent event) {
    RunEvent journaled;
    synchronized (this) {
      journaled = journalAndApply(event);
    }
    host.dispatch(this, journaled);
  }

  /** {@link #record}, by a caller that holds this run's monitor already (one monitor entry fewer per event). */
  void recordHolding(RunEvent event) {
    host.dispatch(this, journalAndApply(event));
  }

  /** Journals and applies {@code event} scrubbed of the run's secrets; the event as journaled. */
  private RunEvent journalAndApply(RunEvent recorded) {
    RunEvent event = Scrubbing.event(recorded, scrubber);
    if (storageError != null) {
      throw new JournalException("Run " + runId + " is paused on a storage error; this write was not tried", null);
    }
    try {
      host.journal().append(event);
    } catch (JournalException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new JournalException("The journal could not record " + event.getClass().getSimpleName() + " of run "
          + runId + " (" + runbook.name() + "): " + e.getMessage() + "; the run stops here", e);
    }
    ledger.apply(event);
    if (afterStorageError) {
      afterStorageError = false;
      host.storageRecovered(this);
    }
    return event;
  }

  /** Marks this object as rebuilt after a storage error (see {@link RunHost#storageRecovered}). */
  public void afterStorageError() {
    afterStorageError = true;
  }

  /** How many events the run's journal holds, as far as this object knows (its own and those it read). */
  public long journaled() {
    synchronized (this) {
      return ledger.events();
    }
  }

  void setActive(String id, RunState s) {
    synchronized (this) {
      setActiveHolding(id, s);
    }
  }

  /** {@link #setActive}, by a caller that holds this run's monitor. */
  void setActiveHolding(String id, RunState s) {
    activity.set(id, s);
    updateStateHolding();
  }

  void clearActive(String id) {
    synchronized (this) {
      clearActiveHolding(id);
    }
  }

  /** {@link #clearActive}, by a caller that holds this run's monitor. */
  void clearActiveHolding(String id) {
    activity.clear(id);
    updateStateHolding();
  }

  /** The state from what the run does now; journaled when it differs from what the journal last said. */
  void updateState() {
    synchronized (this) {
      updateStateHolding();
    }
  }

  /** {@link #updateState}, by a caller that holds this run's monitor. */
  private void updateStateHolding() {
    if (state.isTerminal()) {
      return;
    }
    RunState to;
    if (ledger.rollback() != null && activity.state() != RunState.AWAITING_APPROVAL) {
      to = RunState.ROLLING_BACK;  // its gate awaiting approval aside (beforeRollback)
    } else {
      to = activity.state();
    }
    if (to == state) {
      if (to == RunState.AWAITING_APPROVAL) {
        signal.complete(null);  // back at an approval after a rebuild
      }
      return;
    }
    RunState from = state;
    if (to != ledger.state()) {
      record(new RunEvent.RunStateChanged(runId, ledger.state(), to, activity.describe(), now()));
    }
    state = to;
    if (to == RunState.AWAITING_APPROVAL) {
      signal.complete(null);
    } else if (from == RunState.AWAITING_APPROVAL) {
      signal = new CompletableFuture<>();
    }
  }

  public RunState state() {
    return state;
  }

  /** Completes when the run parks, pauses or ends; read without the run's lock (a writer may hold it long). */
  public CompletableFuture<Void> signal() {
    return signal;
  }

  /** Completes the signal: the run parked. */
  void signalled() {
    synchronized (this) {
      signal.complete(null);
    }
  }

  String idempotencyKey(String stepId) {
    return runId + ":" + stepId;
  }

  static final CompletableFuture<Outcome> DONE_OK = CompletableFuture.completedFuture(Outcome.OK);

  static CompletableFuture<Outcome> done(Outcome o) {
    return CompletableFuture.completedFuture(o);
  }

  void onWorker(Runnable task) {
    try {
      host.workers().execute(task);
    } catch (RejectedExecutionException e) {
      log.warn("Run {} ({}): the engine is closed; the run stops where it is", runId, runbook.name());
    }
  }

  // ---------------------------------------------------------------- start and finish

  /**
   * Journals the start (or the resume), then runs the first stretch of the run on the caller's
   * thread (when the caller is about to block on it anyway) or on a worker. A rebuilt run goes on
   * from where its ledger says it was; a rollback under way goes on as a rollback, never forward.
   */
  public void start(boolean onCallerThread) {
    Runnable body;
    if (purpose == Purpose.NEW) {
      record(new RunEvent.RunStarted(runId, runbook.name(), plan.hash(), requester, plan.params(), now()));
      if (log.isInfoEnabled()) {
        log.info("Run {} ({}) started by {}", runId, runbook.name(), requester);
      }
    } else {
      checkStartedSteps();
      if (purpose == Purpose.RESUMED) {
        record(new RunEvent.RunResumed(runId, plan.hash(), now()));
        log.info("Run {} ({}) resumed from {} journaled events", runId, runbook.name(), ledger.events());
      } else {
        log.debug("Run {} ({}) unparked from {} journaled events", runId, runbook.name(), ledger.events());
      }
    }
    if (ledger.rollback() != null) {
      RunbookException cause = new RunbookException(ledger.rollback().cause());
      body = () -> {
        locks.retake();
        finish(ledger.cancel() != null ? Outcome.cancelled(cause) : Outcome.failed(cause));
      };
    } else {
      body = () -> {
        try {
          startedHook();
        } catch (RuntimeException e) {
          finish(internalError(e));  // a journal that failed: the run pauses before its first node
          return;
        }
        forward();
      };
    }
    if (onCallerThread) {
      body.run();
    } else {
      onWorker(body);
    }
  }

  /** The messages of the run's end, sent before it is journaled as ended. */
  private void endHook(RunState end, RunbookException cause) {
    dev.runbook4j.RunHook hook = switch (end) {
      case SUCCEEDED -> dev.runbook4j.RunHook.SUCCEEDED;
      case ROLLED_BACK -> dev.runbook4j.RunHook.ROLLED_BACK;
      case ROLLBACK_FAILED -> dev.runbook4j.RunHook.ROLLBACK_FAILED;
      default -> null;
    };
    if (hook == null || runbook.hooks().stream().noneMatch(h -> h.hook() == hook)) {
      return;
    }
    java.util.Map<String, String> details = notifications.details();
    details.put("state", end.name());
    details.put("summary", summary(end));
    if (cause != null) {
      details.put("failure", cause.getMessage());
    }
    notifications.hook(hook, null, details);
  }

  /** The run's {@code started} messages: sent once, by the object that first gets here. */
  private void startedHook() {
    if (!runbook.hooks().isEmpty()) {
      notifications.hook(dev.runbook4j.RunHook.STARTED, null, notifications.details());
    }
  }

  /** The run forward from where its ledger says it is: its locks, then its nodes. */
  private void forward() {
    locks.acquire(plan.locks(), 0)
        .thenCompose(ok -> ok ? composites.sequence(runbook.nodes(), Frame.root(runbook.watches()))
            : done(locks.noLocks()))
        .whenComplete((o, e) -> finish(e == null ? o : internalError(e)));
  }

  /** A rebuilt run's journal names only steps its runbook has. */
  private void checkStartedSteps() {
    for (String id : ledger.startOrder()) {
      if (index.step(id) == null) {
        throw new RunbookDefinitionException("Run " + runId + " of runbook '" + runbook.name() + "'", List.of(
            "its journal names step '" + id + "', which this runbook does not have; resume it with the runbook"
                + " it was started with"));
      }
    }
  }

  Outcome cancelledOutcome() {
    RunEvent.CancelRequested c;
    synchronized (this) {
      c = ledger.cancel();
    }
    return Outcome.cancelled(new dev.runbook4j.RunCancelledException(runbook.name(), runId,
        c == null ? null : c.by(), c == null ? null : c.reason()));
  }

  /** Whether a cancel was journaled (before any rollback). */
  /** Whether a cancel is recorded (read without the monitor: checked before every node). */
  boolean cancelRequested() {
    return ledger.cancel() != null;
  }

  Outcome internalError(Throwable e) {
    Throwable u = unwrap(e);
    if (u instanceof JournalException je) {
      return Outcome.halted(je);
    }
    Throwable c = shown(u);
    log.error("Run {} ({}): internal error", runId, runbook.name(), c);
    return Outcome.failed(new RunbookException("Internal error in run " + runId + " (" + runbook.name() + "): "
        + c + "; please report it", c));
  }

  private void finish(Outcome o) {
    try {
      switch (o.kind()) {
        case OK, STOPPED, ENDED -> terminal(RunState.SUCCEEDED, null);
        case ABORTED -> terminal(RunState.ABORTED, o.cause());
        case HALTED -> halt(o.cause());
        default -> {
          synchronized (this) {
            failure = o.cause();
          }
          rollback.run(o).whenComplete((x, e) -> {
            if (e != null) {
              halt(unwrap(e));
              return;
            }
            if (rollback.declined != null) {
              RunbookException declined = rollback.declined;
              if (o.cause() != null) {
                declined.addSuppressed(o.cause());
              }
              terminal(RunState.ABORTED, declined);
              return;
            }
            try {
              boolean failed;
              synchronized (this) {
                failed = !ledger.compensationFailed().isEmpty();
              }
              terminal(failed ? RunState.ROLLBACK_FAILED : RunState.ROLLED_BACK, o.cause());
            } catch (RuntimeException re) {
              halt(re);
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
      cause.addSuppressed(rollback.failures());
    }
    if (end != RunState.ROLLBACK_FAILED && end != RunState.ABORTED) {
      locks.releaseAll();
    }
    endHook(end, cause);
    synchronized (this) {
      failure = cause;
      record(new RunEvent.RunStateChanged(runId, ledger.state(), end, cause == null ? "completed" : cause.getMessage(),
          now()));
      state = end;
      record(new RunEvent.RunFinished(runId, end, summary(end), now()));
      signal.complete(null);
    }
    if (log.isInfoEnabled()) {
      log.info("Run {} ({}) ended {}", runId, runbook.name(), end);
    }
    RunResult result = result();
    host.ended(this, result);
    done.complete(result);
  }

  /**
   * Stops this run object on a storage error: it writes nothing more (so it calls no more user
   * code: every call is preceded by a write), and the engine rebuilds the run from the journal once
   * the journal takes writes again. {@link #done} completes when that successor ends.
   */
  void halt(Throwable e) {
    JournalException je = e instanceof JournalException j ? j
        : new JournalException("Run " + runId + " (" + runbook.name() + ") stopped: " + e, e);
    CompletableFuture<Void> waiting;
    synchronized (this) {
      if (storageError != null) {
        return;
      }
      storageError = je;
      waiting = signal;
    }
    try {
      if (je instanceof LeaseLostException) {
        log.warn("Run {} ({}) stops on this runner: {}", runId, runbook.name(), je.getMessage());
        host.onLeaseLost(this);
        return;
      }
      log.error("Run {} ({}) paused on a storage error: {}", runId, runbook.name(), je.getMessage());
      host.onStorageError(this);  // the listeners hear of the pause before a waiting await() throws
    } finally {
      waiting.complete(null);
    }
  }

  /** The storage error that paused this run object, or null. */
  public JournalException storageError() {
    return storageError;
  }

  private synchronized String summary(RunState end) {
    int started = ledger.startedCount();
    return switch (end) {
      case SUCCEEDED -> (ledger.succeededEarly() == null ? "" : "ended early at '" + ledger.succeededEarly().nodeId()
          + "': " + ledger.succeededEarly().reason() + "; ") + started + " steps started, all completed"
          + (ledger.skippedNodes().isEmpty() ? "" : "; skipped " + ledger.skippedNodes());
      case ROLLED_BACK -> "rolled back: undone " + ledger.compensated() + (ledger.skipped().isEmpty() ? ""
          : ", not undone " + ledger.skipped());
      case ROLLBACK_FAILED -> "rollback failed for " + ledger.compensationFailed() + "; undone " + ledger.compensated()
          + (ledger.rollbackStopped() == null ? "" : "; stopped there, not attempted "
              + ledger.rollbackStopped().notAttempted());
      default -> "aborted after " + started + " started steps; nothing compensated";
    };
  }

  public synchronized RunResult result() {
    for (RunLedger.StepRecord r : ledger.succeededSteps()) {
      if (!r.typed && r.output != null) {
        index.output(r.id);  // read back from the journal: converted to its step's type once, here
      }
    }
    // a view of the ledger's outputs, copied by the result under this monitor
    return new RunResult(runId, runbook.name(), state, Optional.ofNullable(failure), ledger.startOrder(),
        ledger.compensated(), ledger.compensationFailed(), ledger.skipped(), ledger.outputValues(),
        ledger.skippedNodes(), Optional.ofNullable(ledger.succeededEarly()).map(RunEvent.SucceededEarly::reason));
  }

  public synchronized RunStatus status() {
    return new RunStatus(runId, runbook.name(), state, requester, plan.hash(), activity.ids(),
        gates.pending(), ledger.startOrder(), ledger.compensated(),
        Optional.ofNullable(storageError != null ? storageError : failure).map(Throwable::getMessage),
        listenerFailures.get(), ledger.lastAt() != null ? ledger.lastAt() : now());
  }

  // ---------------------------------------------------------------- the engine's calls

  /** Records {@code user}'s approval of {@code gate} (an id or a name). */
  public RunStatus approve(String gate, String user, String comment, String planHash, String choice) {
    return gates.approve(gate, user, comment, planHash, choice);
  }

  /** Records {@code user}'s skip of the wait {@code waitId}. */
  public RunStatus skipWait(String waitId, String user, String reason) {
    return waits.skip(waitId, user, reason);
  }

  /** Records {@code user}'s rejection of {@code gate} (an id or a name). */
  public RunStatus reject(String gate, String user, String reason) {
    return gates.reject(gate, user, reason);
  }

  public RunStatus cancel(String by, String reason) {
    return cancel.request(by, reason);
  }

  /**
   * Reads the run's journal again and applies what another process decided meanwhile (approvals,
   * a gate's pass or rejection, a cancel); each applies once, whoever reads it again.
   */
  public void catchUp() {
    cancel.catchUp();
  }

  /** Whether this object parked: it does nothing more. */
  public boolean parked() {
    return parked;
  }

  /**
   * Marks this object parked if all the run does now is one wait (or one approval, for {@code
   * approval}) with no user code running; false when it may not park (it goes on waiting in memory).
   */
  synchronized boolean markParked(boolean approval) {
    if (parked || concurrent.get() > 0 || activity.size() != 1 || calls.busy() || ledger.rollback() != null
        || ledger.cancel() != null || storageError != null || state.isTerminal()
        || gates.pendingCount() != (approval ? 1 : 0)) {
      return false;
    }
    parked = true;
    return true;
  }

  /** Whether this object was rebuilt from the journal (after a restart, parking or a storage error). */
  boolean rebuilt() {
    return purpose != Purpose.NEW;
  }

  /** Thrown to the engine when a call reaches a run object that has just parked: it retries on the parked run. */
  public static final class Parked extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Parked() {
      super(null, null, false, false);
    }
  }

  /** Thrown when a decision was not recorded because the run's journal moved: read it again, decide again. */
  public static final class DecisionRaced extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DecisionRaced() {
      super(null, null, false, false);
    }
  }

  /** Throws {@link Parked} when this object parked (a caller holding this). */
  void checkNotParked() {
    if (parked) {
      throw new Parked();
    }
  }

  /** The run's outcome when its next node would start: cancelled, timed out, or null to go on. */
  Outcome cancelledOrNull() {
    if (cancelRequested()) {
      return cancelledOutcome();
    }
    Instant d = deadline();
    return d != null && !now().isBefore(d) ? timedOut("before its next node") : null;
  }

  /** When the run's timeout ends it (its journaled start plus the runbook's timeout), or null. */
  Instant deadline() {
    if (runbook.timeout().isEmpty()) {
      return null;
    }
    RunEvent.RunStarted s = ledger.started();
    return s == null ? null : s.at().plus(runbook.timeout().get());
  }

  /** The outcome of a run past its timeout: it rolls back. */
  Outcome timedOut(String where) {
    return Outcome.failed(new dev.runbook4j.RunTimedOutException(runbook.name(), runId, runbook.timeout().orElseThrow(),
        deadline(), where));
  }

  /** Whether the action of step {@code id} started. */
  synchronized boolean started(String id) {
    return ledger.stepRecord(id) != null;
  }

  /** Dispatches {@code n} to the room of its kind. */
  CompletableFuture<Outcome> node(Node n, Frame frame) {
    return composites.node(n, frame);
  }

  // ---------------------------------------------------------------- helpers

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** {@code t} in one line for the journal and the log, scrubbed of the run's secrets (and cut to fit). */
  String describe(Throwable t) {
    return Scrubbing.describe(t, scrubber, host.maxValueBytes() / 4);  // a character is at most four bytes
  }

  /** {@code t}, or its copy scrubbed of the run's secrets when a message in its chain shows one. */
  public Throwable shown(Throwable t) {
    return scrubber.scrub(t);
  }

  /** {@code text} scrubbed of the run's secrets. */
  String shown(String text) {
    return scrubber.scrub(text);
  }

}
