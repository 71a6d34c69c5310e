package dev.runbook4j;

import dev.runbook4j.spi.EngineFactory;
import dev.runbook4j.spi.EngineSettings;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.Scheduler;
import dev.runbook4j.spi.VirtualTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import org.apiguardian.api.API;

/**
 * Runs runbooks: event by event, with a write-ahead journal, and with a saga rollback when
 * something fails.
 *
 * <pre>{@code
 * try (RunbookEngine engine = RunbookEngine.builder().build()) {
 *   RunResult result = engine.run(deploy, new Params("1.4.2"));
 *   if (result.state() != RunState.SUCCEEDED) { ... }
 * }
 * }</pre>
 *
 * <h2>Rollback rules</h2>
 * <table>
 *   <caption>What starts a rollback, and what it does</caption>
 *   <tr><th>#</th><th>Situation</th><th>What the engine does</th><th>Run ends</th></tr>
 *   <tr><td>1</td><td>A step fails after its last retry (error or timeout), with {@code onFailure(ROLLBACK)} (default)</td>
 *       <td>compensates every step whose action <em>started</em> (succeeded, failed, or outcome unknown), the failed one included, in reverse start order</td>
 *       <td>{@code ROLLED_BACK}</td></tr>
 *   <tr><td>2</td><td>A gate rejects (a check, an approver, or its timeout)</td><td>as row 1</td><td>{@code ROLLED_BACK}</td></tr>
 *   <tr><td>3</td><td>A watch in scope reports a breach (between steps or during a bake / waitUntil)</td><td>as row 1</td><td>{@code ROLLED_BACK}</td></tr>
 *   <tr><td>4</td><td>A {@code waitUntil} times out, or a forEach exceeds {@code maxErrors}</td><td>as row 1 (forEach: items in flight finish first; completed items are compensated too)</td><td>{@code ROLLED_BACK}</td></tr>
 *   <tr><td>5</td><td>{@link #cancel} while running or waiting</td><td>interrupts the action in flight (it counts as started), then as row 1; compensations are never skipped on cancel</td><td>{@code ROLLED_BACK}</td></tr>
 *   <tr><td>6</td><td>{@link #cancel} during the rollback</td><td>recorded; the rollback goes on to the end</td><td>as the rollback ends</td></tr>
 *   <tr><td>7</td><td>A compensation fails after its own retries</td><td>the others still run; the failure is recorded and aggregated (suppressed) into a {@link CompensationFailedException}</td><td>{@code ROLLBACK_FAILED}, locks kept</td></tr>
 *   <tr><td>8</td><td>A started step is read-only or irreversible</td><td>passed over ({@link RunResult#notUndone()}); irreversible ones are the plan's points of no return</td><td>as the rest of the rollback</td></tr>
 *   <tr><td>9</td><td>Parallel branches or forEach items</td><td>all their started steps join the one reverse-start-order list: each branch is undone in reverse</td><td>as row 1</td></tr>
 *   <tr><td>10</td><td>A step or gate with {@code onFailure(CONTINUE)} fails</td><td>recorded, the run goes on; the step still counts as started if a later failure rolls back</td><td>as the rest of the run</td></tr>
 *   <tr><td>11</td><td>A step or gate with {@code onFailure(ABORT)} fails</td><td>stops; nothing is compensated</td><td>{@code ABORTED}, locks kept</td></tr>
 *   <tr><td>12</td><td>The journal cannot record an event</td><td>the action whose intent was not recorded is not called; the run pauses on the storage error ({@link RunHandle#await()} throws the {@link JournalException}); the engine tells the listeners ({@link RunListener#onStoragePaused}) and tries again after 1 s, doubling up to 30 s, and when the journal takes writes it rebuilds the run from its events and goes on ({@link RunListener#onStorageRecovered})</td><td>not ended while paused</td></tr>
 *   <tr><td>13</td><td>A node's {@code when} does not hold</td><td>the node is passed over ({@link RunEvent.NodeSkipped}, with the reason); a skipped step never started, so no rollback undoes it</td><td>as the rest of the run</td></tr>
 *   <tr><td>14</td><td>A {@code choose} takes an option, and a later failure rolls back</td><td>the steps of the chosen option are started steps like any other: undone in reverse start order with those before and after it; the options not taken started nothing</td><td>as row 1</td></tr>
 *   <tr><td>15</td><td>The run reaches {@code succeed}</td><td>nothing after it runs; no rollback ({@link RunResult#endedEarly()})</td><td>{@code SUCCEEDED}</td></tr>
 *   <tr><td>16</td><td>A compensation with {@link OnCompensationFailure#STOP} fails after its retries</td><td>the rollback stops there: the steps started before it are not attempted ({@link RunEvent.RollbackStopped} and {@link CompensationFailedException#notAttempted()} name them)</td><td>{@code ROLLBACK_FAILED}, locks kept</td></tr>
 *   <tr><td>17</td><td>A step fails for good with an error one of its {@link FailureRule}s matches</td><td>as the first matching rule says (roll back, continue or abort) instead of the step's own {@code onFailure}; journaled ({@link RunEvent.FailureRouted}) before the failure, so a resumed run routes it the same</td><td>as the route</td></tr>
 *   <tr><td>18</td><td>The run passes its runbook's {@code timeout} (from its journaled start)</td><td>no new node starts; a wait, retry delay, re-check or approval still going ends at the deadline; an action in flight finishes by its own timeout; then as row 1 ({@link RunTimedOutException}); a restart does not move the deadline</td><td>{@code ROLLED_BACK}</td></tr>
 * </table>
 *
 * <p>Implementations are threadsafe. Closing the engine shuts down the pools it made.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public interface RunbookEngine extends AutoCloseable {

  /** A builder with the defaults: in-memory journal, system clock, Resilience4j policies. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Runs {@code runbook} with {@code params} and blocks until the run ends or parks at an
   * approval.
   *
   * @throws RunbookDefinitionException when the parameters are invalid (nothing runs)
   */
  default <P> RunResult run(Runbook<P> runbook, P params) {
    return start(runbook, params, RunOptions.defaults()).await();
  }

  /** As {@link #run(Runbook, Object)}, with a run id and requester. */
  default <P> RunResult run(Runbook<P> runbook, P params, RunOptions options) {
    return start(runbook, params, options).await();
  }

  /**
   * Starts a run and returns at once. Starting a run id that exists returns that run (resuming it
   * from the journal when this engine was not running it); with other parameters or another runbook
   * it is refused.
   *
   * @throws RunbookDefinitionException when the parameters are invalid, or the run id is taken by
   *     a different run
   */
  <P> RunHandle start(Runbook<P> runbook, P params, RunOptions options);

  /**
   * Picks up a run from the journal after a restart, with the runbook it was started with (or one
   * that declares itself {@link Runbook.Builder#compatibleWith compatible}). The run is rebuilt from
   * its events, without calling user code: completed steps keep their journaled outputs; a step
   * that started but has no outcome is attempted again with the same idempotency key, after its
   * {@code reconcile} hook; waits, bakes, retry delays and approval timeouts go on with the time
   * that is left; a rollback that was under way goes on as a rollback. Resuming a run this engine
   * is already running returns its handle; resuming an ended run returns its result.
   *
   * @throws UnknownRunException when the journal does not hold the run
   * @throws RunbookDefinitionException when the runbook is another one, or its plan differs and is
   *     not declared compatible
   * @throws JournalException when the run's journal does not verify (the run is left as it is:
   *     no forward progress, no rollback)
   */
  <P> RunHandle resume(String runId, Runbook<P> runbook);

  /**
   * Resumes a run with its parameters given again, for values the journal does not keep (secrets):
   * they must make the same plan (the journal shows secrets masked, so only the masked form counts).
   */
  <P> RunHandle resume(String runId, Runbook<P> runbook, P params);

  /**
   * Resumes every unfinished run in the journal (after a restart): {@code runbooks} maps a runbook
   * name to the runbook to resume its runs with (null: leave those runs alone). A run that cannot be
   * resumed (it does not verify, its plan changed) is logged and left as it is; the others go on.
   *
   * @return the handles of the runs resumed
   */
  java.util.List<RunHandle> resumeAll(java.util.function.Function<String, Runbook<?>> runbooks);

  /** The handle of a run this engine knows. */
  RunHandle handle(String runId);

  /** Resolves the plan without running anything. */
  default <P> Plan plan(Runbook<P> runbook, P params) {
    return Plan.of(runbook, params);
  }

  /**
   * Records {@code user}'s approval of the gate {@code gateId} (journaled before this returns).
   *
   * @param planHash the plan the user reviewed, or {@code null} to skip the check
   * @throws ApprovalException when the user is the requester, is not an approver, the gate is not
   *     awaiting approval, or the plan hash differs
   */
  RunStatus approve(String runId, String gateId, String user, String comment, String planHash);

  /**
   * Records {@code user}'s approval of a gate that asks its approver to choose one of its options
   * ({@link ApprovalSpec#options()}): {@code choice} is journaled with the approval and is the gate's
   * output. A gate without options takes a null choice.
   *
   * @throws ApprovalException as {@link #approve(String, String, String, String, String)} does, and
   *     when the gate asks a choice and {@code choice} is none of its options
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  default RunStatus approve(String runId, String gateId, String user, String comment, String planHash, String choice) {
    if (choice != null) {
      throw new UnsupportedOperationException("this engine takes no choice with an approval");
    }
    return approve(runId, gateId, user, comment, planHash);
  }

  /**
   * Ends the wait {@code waitId} (a sleep, bake or waitUntil going on) before its time, as
   * {@code user}: journaled before this returns, by the rules of the wait's {@code skippableBy}; the
   * run goes on from the wait.
   *
   * @throws ApprovalException when the wait cannot be skipped, is not going on, or the user may not
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  default RunStatus skipWait(String runId, String waitId, String user, String reason) {
    throw new UnsupportedOperationException("this engine cannot skip waits");
  }

  /** Approves without a plan-hash check. */
  default RunStatus approve(String runId, String gateId, String user) {
    return approve(runId, gateId, user, "", null);
  }

  /**
   * Records {@code user}'s rejection: the gate rejects and the run rolls back.
   *
   * @throws ApprovalException when the user may not decide on this gate or it is not waiting
   */
  RunStatus reject(String runId, String gateId, String user, String reason);

  /**
   * Lets run {@code runId} go on with {@code runbook} although it makes another plan than the one
   * the run is bound to (a script edited after the run started): journaled as
   * {@link RunEvent.PlanAccepted} by {@code by}, after which the run is bound to the new plan and
   * the approvals given before no longer count. Resume it with the same runbook afterwards.
   *
   * @param params the run's parameters, or null to read them from the journal
   * @return the plan hash the run is bound to now
   * @throws RunbookException when the run has ended, is of another runbook, or a live runner drives
   *     or holds it (it must wait in the journal with no runner: detached or orphaned)
   */
  <P> String acceptPlan(String runId, Runbook<P> runbook, P params, String by);

  /**
   * Cancels a run: the action in flight is interrupted, then every started step is compensated.
   * Cancelling an ended run does nothing; cancelling during a rollback is recorded and ignored.
   */
  RunStatus cancel(String runId, String by, String reason);

  /** A snapshot of the run. */
  RunStatus status(String runId);

  /**
   * Where the run is now: driven by this engine, parked, driven by another live runner (which
   * {@link RunPlace#runner} names), orphaned, or ended.
   *
   * @throws UnknownRunException when neither this engine nor its journal knows the run
   * @since 0.2
   */
  RunPlace where(String runId);

  /** The run's journaled events, in order. */
  List<RunEvent> history(String runId);

  /** The ids of every run in the journal, oldest first. */
  List<String> runs();

  /** Registers a listener for every event of every run; close the subscription to remove it. */
  Subscription onEvent(RunListener listener);

  /**
   * How many runs this engine holds: in memory (running, or waiting too briefly to park) and
   * parked (waiting in the journal; see {@link Builder#parkWaitsOf}).
   *
   * @param inMemory runs whose objects are in memory, not counting ended runs
   * @param parked runs parked until their time or a decision
   */
  record Load(int inMemory, int parked) {}

  /** What this engine holds now. */
  Load load();

  /**
   * Releases the lock {@code key}, kept by a run that ended without finishing its rollback
   * ({@code ROLLBACK_FAILED}) or aborted, once an operator has put the target right; the next
   * waiting run gets it. The release is journaled in the holding run's history first
   * ({@link RunEvent.LockForceReleased}, naming {@code by} and {@code reason}).
   *
   * @return the id of the run that held the lock
   * @throws IllegalStateException when no run holds {@code key}, or its holder has not ended
   */
  String releaseLock(String key, String by, String reason);

  /**
   * The locks held or waited for, by key, as the engine's lock manager (the journal's, when it has
   * one) knows them: the runs of every process on a shared journal.
   *
   * @since 0.2
   */
  List<LockInfo> locks();

  /** Shuts down the pools the engine made; runs in flight stop where they are. */
  @Override
  void close();

  /** Configures a {@link RunbookEngine}. Not threadsafe. */
  final class Builder {
    private Journal journal;
    private Clock clock;
    private Scheduler scheduler;
    private ExecutorService workers;
    private int maxWorkers = 1024;
    private final java.util.Map<String, dev.runbook4j.spi.Notifier> notifiers = new java.util.LinkedHashMap<>();
    private RetrySpec notificationRetry;
    private PolicyAdapter policyAdapter;
    private LockManager lockManager;
    private final List<RunListener> listeners = new ArrayList<>();
    private final List<dev.runbook4j.spi.Interceptor> interceptors = new ArrayList<>();
    private final java.util.Map<String, Runbook<?>> runbooks = new java.util.LinkedHashMap<>();
    private java.time.Duration heartbeat;
    private boolean takeOver = true;
    private java.time.Duration parkAfter = java.time.Duration.ofMinutes(1);
    private int maxValueBytes;

    private Builder() {}

    /** Where events go (default: a new in-memory journal). */
    public Builder journal(Journal journal) {
      this.journal = Objects.requireNonNull(journal, "journal");
      return this;
    }

    /** The clock (default: the UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The timer source (default: one daemon thread). */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Uses {@code time}'s clock and scheduler: for tests. */
    public Builder virtualTime(VirtualTime time) {
      return clock(time.clock()).scheduler(time);
    }

    /** The pool that runs actions and checks; the caller shuts it down. */
    public Builder workers(ExecutorService workers) {
      this.workers = Objects.requireNonNull(workers, "workers");
      return this;
    }

    /**
     * The most threads of the default worker pool (default: 1,024). The pool keeps 4 per core (at
     * least 8), and when work has queued behind busy threads for 20 ms — actions that block — it
     * doubles, up to this bound; once few are busy it goes back, and idle threads end after 30 s.
     */
    public Builder maxWorkers(int maxWorkers) {
      if (maxWorkers < 1) {
        throw new IllegalArgumentException("maxWorkers must be at least 1, was " + maxWorkers);
      }
      this.maxWorkers = maxWorkers;
      return this;
    }

    /** Timeouts and circuit breakers (default: Resilience4j). */
    public Builder policyAdapter(PolicyAdapter adapter) {
      this.policyAdapter = Objects.requireNonNull(adapter, "adapter");
      return this;
    }

    /**
     * The runbooks this engine knows: it decides (approve, reject, cancel) on their runs that other
     * processes drive, and it takes over their runs from a runner that died: when the journal is
     * shared, the engine claims the unfinished runs of these runbooks whose runner's lease expired (or
     * whose process on this host is gone), and resumes them — unless {@link #takeOverOrphans
     * takeOverOrphans(false)}. Without it, the engine runs only what it starts or resumes.
     */
    public Builder runbooks(Runbook<?>... runbooks) {
      for (Runbook<?> r : runbooks) {
        Runbook<?> was = this.runbooks.putIfAbsent(r.name(), r);
        if (was != null && was != r) {
          throw new IllegalArgumentException("Two runbooks are named '" + r.name() + "'; names must be unique");
        }
      }
      return this;
    }

    /**
     * Whether this engine's heartbeat takes over the orphaned runs of its {@link #runbooks} (default:
     * true). An engine that only decides or reports (a command-line {@code approve}) says false, so
     * that it never drives a run it was not asked to.
     *
     * @since 0.2
     */
    public Builder takeOverOrphans(boolean takeOver) {
      this.takeOver = takeOver;
      return this;
    }

    /**
     * Parks runs that wait at least {@code threshold} (a sleep, a bake between watch checks, a gate
     * between checks, a retry delay, an approval): the run's objects are dropped; on a JDBC journal the
     * run waits in the journal (a row saying when to wake it, nothing in memory), on other journals a
     * small entry stays in memory; one timer serves every parked run. At its time, or when a decision
     * arrives, the run is rebuilt from the journal and goes on. Default: one minute. Parking costs a
     * journal write when the run parks and a read when it wakes, and saves the run's heap while it
     * waits.
     */
    public Builder parkWaitsOf(java.time.Duration threshold) {
      if (threshold.isNegative()) {
        throw new IllegalArgumentException("threshold must not be negative, was " + threshold);
      }
      this.parkAfter = threshold;
      return this;
    }

    /**
     * The largest value the engine journals, in bytes: a step output larger than this as JSON fails
     * its attempt with a message naming the step, its size and this limit (default 1 MiB); an error
     * message is cut to a quarter of it.
     */
    public Builder maxValueBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxValueBytes must be positive, was " + bytes);
      }
      this.maxValueBytes = bytes;
      return this;
    }

    /** Keeps every waiting run in memory (no parking): its objects and futures stay until it ends. */
    public Builder noParking() {
      this.parkAfter = null;
      return this;
    }

    /**
     * How often the engine renews its leases, takes over expired runs and polls for locks granted by
     * other runners (default: a third of the journal's lease, or 10 s).
     */
    public Builder heartbeat(java.time.Duration every) {
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("heartbeat must be positive, was " + every);
      }
      this.heartbeat = every;
      return this;
    }

    /** Locks (default: the journal's own, durable locks if it keeps them; else FIFO queues in memory). */
    public Builder lockManager(LockManager lockManager) {
      this.lockManager = Objects.requireNonNull(lockManager, "lockManager");
      return this;
    }

    /** Registers a listener for the engine's lifetime. */
    public Builder listener(RunListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Wraps every call into user code (actions, compensations, gate and watch checks, wait
     * conditions, reconcile hooks): for tracing, metrics and fault injection. Interceptors added
     * first are outermost.
     */
    public Builder interceptor(dev.runbook4j.spi.Interceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * The notifier that delivers the messages runbooks send to {@code channel} (their {@code notify}
     * steps and run hooks). A run of a runbook that names a channel the engine has no notifier for
     * is refused before it starts. {@link #defaultNotifier} delivers to every other channel.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder notifier(String channel, dev.runbook4j.spi.Notifier notifier) {
      Objects.requireNonNull(channel, "channel");
      Objects.requireNonNull(notifier, "notifier");
      if (notifiers.putIfAbsent(channel, notifier) != null) {
        throw new IllegalArgumentException("Two notifiers are named '" + channel + "'; names must be unique");
      }
      return this;
    }

    /**
     * The notifier of every channel that has none of its own (a test's recorder, a log).
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder defaultNotifier(dev.runbook4j.spi.Notifier notifier) {
      notifiers.put("*", Objects.requireNonNull(notifier, "notifier"));
      return this;
    }

    /**
     * How a message that did not get through is tried again, on the engine's clock (default: 4
     * attempts, from 1 s doubling); a {@link dev.runbook4j.spi.NotificationException} that says
     * it is not worth it (a 4xx) is not.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder notificationRetry(RetrySpec retry) {
      this.notificationRetry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** Makes the engine. */
    public RunbookEngine build() {
      EngineSettings settings = new EngineSettings(journal, clock, scheduler, workers, maxWorkers, policyAdapter,
          lockManager, listeners, runbooks, takeOver, heartbeat, parkAfter, interceptors, maxValueBytes, notifiers,
          notificationRetry);
      return EngineFactories.get().create(settings);
    }
  }
}

/** The engine factory, looked up once (a service lookup reads the class path's jars). */
final class EngineFactories {
  private static volatile EngineFactory found;

  private EngineFactories() {}

  static EngineFactory get() {
    EngineFactory f = found;
    if (f == null) {
      f = ServiceLoader.load(EngineFactory.class, RunbookEngine.class.getClassLoader())
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(
              "No Runbook4j engine on the class path: add runbook4j-core (its META-INF/services entry)"));
      found = f;
    }
    return f;
  }
}
