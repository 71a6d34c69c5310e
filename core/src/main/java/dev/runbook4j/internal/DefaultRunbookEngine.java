package dev.runbook4j.internal;

import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunListener;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.Subscription;
import dev.runbook4j.UnknownRunException;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.resilience4j.Resilience4jPolicyAdapter;
import dev.runbook4j.spi.EngineSettings;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.Cancellable;
import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.RunLeases;
import dev.runbook4j.spi.Scheduler;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one implementation of {@link RunbookEngine}. */
final class DefaultRunbookEngine implements RunbookEngine {
  private static final Logger log = LoggerFactory.getLogger(DefaultRunbookEngine.class);

  final Journal journal;
  final Clock clock;
  final Scheduler scheduler;
  final Executor workers;
  final PolicyAdapter policies;
  final LockManager locks;
  /** Wraps calls into user code; null when there is none (the common, cheap case). */
  final dev.runbook4j.spi.Interceptor interceptor;
  /** Claims on runs when several runners share the journal; null for a journal of one process. */
  final RunLeases leases;
  private final Map<String, Runbook<?>> catalog;
  /** Whether the heartbeat takes over the expired runs of the catalog's runbooks. */
  private final boolean takeOver;
  private final java.time.Duration heartbeat;
  private final java.util.concurrent.atomic.AtomicBoolean ticking = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean closed;
  /** Waits at least this long park the run (null: never). */
  final java.time.Duration parkAfter;
  /** Runs that wait with nothing in memory but this entry; rebuilt from the journal when they wake. */
  private final Map<String, ParkedRun> parked = new ConcurrentHashMap<>();
  /**
   * Where the journal keeps parked runs, if it does (null: they stay in {@link #parked}); then a
   * parked run costs this engine nothing in memory but its runbook's slot (shared by the runs of one
   * runbook object).
   */
  private final dev.runbook4j.spi.ParkedRuns store;
  /** This engine object's name in the store's records. */
  private final String engineId = java.util.UUID.randomUUID().toString();
  /** How many runs this engine has parked in the store. */
  private final AtomicInteger stored = new AtomicInteger();
  /** Runs being taken out of the store and rebuilt right now (in neither place for a moment), with a count each. */
  private final Map<String, Integer> waking = new ConcurrentHashMap<>();
  /** Sweeps of due runs out of the store in progress (their runs are briefly in neither place). */
  private final AtomicInteger sweeps = new AtomicInteger();
  /** The runbooks of the runs parked in the store. */
  private final Slots slots = new Slots();
  /** For handles awaiting a run parked in the store: completed when it is rebuilt. */
  private final Map<String, CompletableFuture<Void>> rebuilt = new ConcurrentHashMap<>();
  /** Futures handed out by {@link Handle#result()}: completed when the run ends, whichever object ends it. */
  private final Map<String, CompletableFuture<RunResult>> results = new ConcurrentHashMap<>();
  final TimerExecutorService timers;
  private final ExecutorService ownedPool;
  private final SystemScheduler ownedScheduler;
  private final List<RunListener> listeners = new CopyOnWriteArrayList<>();
  /** Runs in flight (and runs stopped by a journal failure). */
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  /** The most recently ended runs, for handles and status; older ones are read from the journal. */
  private final Map<String, Run> recent = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Run> eldest) {
          return size() > RECENT_RUNS;
        }
      });
  private static final int RECENT_RUNS = 256;

  DefaultRunbookEngine(EngineSettings s) {
    this.journal = s.journal() != null ? s.journal() : new InMemoryJournal();
    this.clock = s.clock() != null ? s.clock() : Clock.systemUTC();
    if (s.scheduler() != null) {
      this.scheduler = s.scheduler();
      this.ownedScheduler = null;
    } else {
      this.ownedScheduler = new SystemScheduler();
      this.scheduler = ownedScheduler;
    }
    ExecutorService pool = s.workers();
    if (pool == null) {
      AtomicInteger n = new AtomicInteger();
      ThreadPoolExecutor tpe = new ThreadPoolExecutor(s.maxWorkers(), s.maxWorkers(), 30, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "runbook4j-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      tpe.allowCoreThreadTimeOut(true);
      this.ownedPool = tpe;
      pool = tpe;
    } else {
      this.ownedPool = null;
    }
    this.workers = scheduler.instrument(pool);
    this.policies = s.policyAdapter() != null ? s.policyAdapter() : Resilience4jPolicyAdapter.create();
    this.locks = s.lockManager() != null ? s.lockManager()
        : journal.lockManager().orElseGet(InMemoryLockManager::new);
    this.leases = journal.leases().orElse(null);
    this.store = s.parkAfter() == null ? null : journal.parkedRuns().orElse(null);
    this.interceptor = chain(s.interceptors());
    this.catalog = s.runbooks();
    this.parkAfter = s.parkAfter();
    this.heartbeat = s.heartbeat() != null ? s.heartbeat()
        : leases != null ? leases.leaseTtl().dividedBy(3) : java.time.Duration.ofSeconds(10);
    this.timers = new TimerExecutorService(scheduler, workers, clock);
    this.listeners.addAll(s.listeners());
    this.takeOver = s.takeOver() && !catalog.isEmpty();
    if (takeOver && leases != null) {
      ensureTicking();
    }
  }

  /** One interceptor calling the others in turn, the first outermost; null for none. */
  private static dev.runbook4j.spi.Interceptor chain(List<dev.runbook4j.spi.Interceptor> all) {
    dev.runbook4j.spi.Interceptor chained = null;
    for (int i = all.size() - 1; i >= 0; i--) {
      dev.runbook4j.spi.Interceptor outer = all.get(i);
      dev.runbook4j.spi.Interceptor inner = chained;
      chained = inner == null ? outer : call -> outer.intercept(call.withCall(() -> inner.intercept(call)));
    }
    return chained;
  }

  @Override
  public <P> RunResult run(Runbook<P> runbook, P params) {
    return start(runbook, params, RunOptions.defaults(), !scheduler.drivenByAwait()).await();
  }

  @Override
  public <P> RunResult run(Runbook<P> runbook, P params, RunOptions options) {
    return start(runbook, params, options, !scheduler.drivenByAwait()).await();
  }

  @Override
  public <P> RunHandle start(Runbook<P> runbook, P params, RunOptions options) {
    return start(runbook, params, options, false);
  }

  private static String newRunId() {
    String hex = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    return hex.length() == 16 ? hex : "0".repeat(16 - hex.length()) + hex;
  }

  private <P> RunHandle start(Runbook<P> runbook, P params, RunOptions options, boolean onCallerThread) {
    Plan plan = Plan.of(runbook, params);
    String runId = options.runId().orElseGet(DefaultRunbookEngine::newRunId);
    Run run;
    synchronized (runs) {
      Run existing = lookup(runId);
      if (existing != null) {
        sameRun(runId, existing.runbook.name(), existing.plan.hash(), runbook.name(), plan.hash());
        return new Handle(existing.runId, existing.done);
      }
      // a run id the caller chose may name a run started before (here before a restart, or elsewhere);
      // a fresh random one cannot, and is not looked up
      List<RunEvent> past = options.runId().isPresent() ? journal.read(runId) : List.of();
      if (!past.isEmpty()) {
        return startedBefore(runId, runbook, params, plan, past);
      }
      run = new Run(this, runId, runbook, params, options.requester(), plan);
      runs.put(runId, run);
    }
    try {
      return launch(run, onCallerThread);
    } catch (dev.runbook4j.JournalException e) {
      List<RunEvent> past = options.runId().isPresent() ? journal.read(runId) : List.of();
      if (past.isEmpty()) {
        throw e;
      }
      // another process started the same run id at the same moment: the journal took its RunStarted
      log.info("Run {} ({}) was started at the same moment elsewhere: {}", runId, runbook.name(), e.getMessage());
      return startedBefore(runId, runbook, params, plan, past);
    }
  }

  /**
   * A start of a run id the journal holds: the same run (else an error), picked up here when nobody
   * drives it, or followed when another live runner does (never driven by two).
   */
  private <P> RunHandle startedBefore(String runId, Runbook<P> runbook, P params, Plan plan, List<RunEvent> past) {
    RunEvent.RunStarted first = past.get(0) instanceof RunEvent.RunStarted rs ? rs : null;
    sameRun(runId, first == null ? "?" : first.runbook(), first == null ? "?" : first.planHash(), runbook.name(),
        plan.hash());
    try {
      return resume(runId, runbook, params);
    } catch (dev.runbook4j.RunDrivenElsewhereException e) {
      log.info("Run {} ({}) is driven by {}; this engine follows it", runId, runbook.name(), e.driver().describe());
      return new FollowingHandle(runId);
    }
  }

  /**
   * Starts a run registered in {@link #runs}: when it ends it moves to the cache of recent runs; a
   * start that fails (its first journal write) leaves nothing behind. A successor (rebuilt after
   * parking or a storage error) shares the {@code done} future of the run's first object; whichever
   * object ends the run moves itself to the cache ({@link #ended}).
   */
  private RunHandle launch(Run run, boolean onCallerThread) {
    ensureTicking();
    try {
      run.start(onCallerThread);
    } catch (RuntimeException e) {
      runs.remove(run.runId, run);
      throw e;
    }
    return new Handle(run.runId, run.done);
  }

  /** Called by a run object as it ends, before its {@code done} completes: it moves to the recent runs. */
  void ended(Run run, RunResult result) {
    if (runs.get(run.runId) == run) {
      recent.put(run.runId, run);
      runs.remove(run.runId, run);
    }
    CompletableFuture<RunResult> waiting = results.remove(run.runId);
    if (waiting != null) {
      waiting.complete(result);
    }
  }

  @Override
  public <P> RunHandle resume(String runId, Runbook<P> runbook) {
    return resume(runId, runbook, null);
  }

  @Override
  public <P> RunHandle resume(String runId, Runbook<P> runbook, P given) {
    Run run;
    synchronized (runs) {
      Run existing = lookup(runId);
      if (existing != null) {
        return new Handle(existing.runId, existing.done);
      }
      ParkedRun p = parked.get(runId);
      if (p != null) {
        return new Handle(runId, p.done);
      }
      Optional<dev.runbook4j.spi.ParkedRuns.Parked> parkedElsewhere = Optional.empty();
      if (store != null) {
        Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = store.find(runId);
        if (rec.isPresent() && rec.get().engine().equals(engineId)) {
          return new Handle(runId, new CompletableFuture<>());
        }
        parkedElsewhere = rec;
      }
      List<RunEvent> events = journal.read(runId);
      if (events.isEmpty()) {
        throw new UnknownRunException(runId);
      }
      Optional<String> problem = journal.problem(runId);
      if (problem.isPresent()) {
        throw new dev.runbook4j.JournalException("Run " + runId + " does not verify: " + problem.get()
            + ". It is left as it is (no forward progress, no rollback); restore the journal or resolve the run"
            + " by hand", null);
      }
      History history = History.fold(runId, events);
      if (history.started == null) {
        throw new dev.runbook4j.JournalException("Run " + runId + " has no RunStarted event in " + journal, null);
      }
      if (!history.started.runbook().equals(runbook.name())) {
        throw new RunbookDefinitionException("Resuming run '" + runId + "'", List.of("it is a run of runbook '"
            + history.started.runbook() + "', not of '" + runbook.name() + "'"));
      }
      if (history.finished != null) {
        return new JournalHandle(runId);
      }
      if (leases != null) {
        String owner = leases.claim(runId, clock.instant());
        if (owner != null) {
          dev.runbook4j.RunnerInfo driver = leases.runnerInfo(owner)
              .orElse(new dev.runbook4j.RunnerInfo(owner, "", 0, null, null));
          throw new dev.runbook4j.RunDrivenElsewhereException(runId, runbook.name(), driver, "it is not resumed"
              + " here. It goes on there; it can be resumed elsewhere once that runner has stopped"
              + (driver.aliveUntil() == null ? "" : " (or its lease, renewed until " + driver.aliveUntil()
              + ", lapses)"));
        }
      }
      if (parkedElsewhere.isPresent()) {
        store.take(runId);  // parked by an engine that is gone (its lease is this runner's now): resumed here
      }
      P params = given != null ? given : Json.params(history.started.params(), runbook.parameterType());
      Plan plan = Plan.of(runbook, params);
      String mismatch = planMismatch(runbook, plan, history.started.planHash());
      if (mismatch != null) {
        throw new RunbookDefinitionException("Resuming run '" + runId + "'", List.of(mismatch));
      }
      run = new Run(this, runId, runbook, params, history.started.requester(), plan, history,
          new CompletableFuture<>(), false);
      runs.put(runId, run);
    }
    return launch(run, false);
  }

  @Override
  public List<RunHandle> resumeAll(java.util.function.Function<String, Runbook<?>> runbooks) {
    List<RunHandle> handles = new ArrayList<>();
    java.util.Set<String> adopted = store == null ? java.util.Set.of() : adopt(runbooks, handles);
    for (String runId : journal.unfinishedRunIds()) {
      if (adopted.contains(runId) || lookup(runId) != null || parked.containsKey(runId)) {
        continue;
      }
      History history = History.fold(runId, journal.read(runId));
      if (history.started == null || history.finished != null || storedHere(runId)) {
        continue;
      }
      Runbook<?> runbook = runbooks.apply(history.started.runbook());
      if (runbook == null) {
        log.warn("Run {} of runbook '{}' is not resumed: no runbook of that name was given", runId,
            history.started.runbook());
        continue;
      }
      try {
        handles.add(resume(runId, runbook));
      } catch (RuntimeException e) {
        log.error("Run {} of runbook '{}' is not resumed: {}", runId, history.started.runbook(), e.getMessage());
      }
    }
    return handles;
  }

  /**
   * Takes over the runs an engine that is gone left parked in the journal, runbook by runbook: they
   * stay parked there, now this engine's (nothing is rebuilt until each wakes; its plan and journal
   * are checked then). Adds a handle for each to {@code handles}; returns their ids.
   */
  private java.util.Set<String> adopt(java.util.function.Function<String, Runbook<?>> runbooks,
      List<RunHandle> handles) {
    java.util.Set<String> adopted = new java.util.HashSet<>();
    for (String name : store.runbooksParkedElsewhere(engineId)) {
      Runbook<?> runbook = runbooks.apply(name);
      if (runbook == null) {
        continue;  // said run by run below
      }
      int slot = slots.acquire(runbook, 1);
      List<dev.runbook4j.spi.ParkedRuns.Parked> taken;
      try {
        taken = store.adopt(engineId, name, slot, clock.instant());
      } catch (RuntimeException e) {
        slots.release(slot);
        log.error("The runs of runbook '{}' parked in {} were not taken over: {}", name, journal, e.getMessage());
        continue;
      }
      if (taken.isEmpty()) {
        slots.release(slot);
        continue;
      }
      slots.acquire(runbook, taken.size() - 1);
      stored.addAndGet(taken.size());
      long first = Long.MAX_VALUE;
      for (dev.runbook4j.spi.ParkedRuns.Parked p : taken) {
        adopted.add(p.runId());
        handles.add(new Handle(p.runId(), new CompletableFuture<>()));
        if (p.wakeAt() != null) {
          first = Math.min(first, nanos(p.wakeAt()));
        }
      }
      synchronized (wakeUps) {
        storedNext = Math.min(storedNext, first);
        rearm();
      }
      ensureTicking();
      log.info("Took over {} parked runs of runbook '{}'", taken.size(), name);
    }
    return adopted;
  }

  /** Why {@code runbook} may not go on with a run started with plan {@code was}; null when it may. */
  private static String planMismatch(Runbook<?> runbook, Plan plan, String was) {
    if (plan.hash().equals(was) || runbook.compatiblePlans().contains(was)) {
      return null;
    }
    return "it was started with plan " + was.substring(0, 12) + ", but this runbook makes plan "
        + plan.hash().substring(0, 12) + "; resume it with the runbook it was started with, or declare"
        + " compatibleWith(\"" + was + "\") in this one";
  }

  private static void sameRun(String runId, String runbook, String hash, String newRunbook, String newHash) {
    if (!runbook.equals(newRunbook) || !hash.equals(newHash)) {
      throw new RunbookDefinitionException("Run id '" + runId + "'", List.of("it is taken by a run of runbook '"
          + runbook + "' with plan " + hash.substring(0, Math.min(12, hash.length())) + "; this start has runbook '"
          + newRunbook + "' and plan " + newHash.substring(0, 12) + " (other parameters?); choose another run id"));
    }
  }

  private Run lookup(String runId) {
    Run run = runs.get(runId);
    return run != null ? run : recent.get(runId);
  }

  @Override
  public RunHandle handle(String runId) {
    Run run = lookup(runId);
    if (run != null) {
      return new Handle(run.runId, run.done);
    }
    ParkedRun p = parked.get(runId);
    if (p != null) {
      return new Handle(runId, p.done);
    }
    if (storedHere(runId) || inTransit(runId)) {
      return new Handle(runId, new CompletableFuture<>());
    }
    fold(runId);
    return new JournalHandle(runId);
  }

  /** The run object to decide on: a parked run is rebuilt first (it stays in memory until it waits again). */
  private Run run(String runId) {
    while (true) {
      Run run = lookup(runId);
      if (run != null && !run.parked()) {
        return run;
      }
      ParkedRun p = parked.get(runId);
      if (p != null && p.problem != null) {
        throw new dev.runbook4j.JournalException(p.problem, null);
      }
      if (p != null) {
        Run woken = unpark(runId, p, true);
        if (woken != null) {
          if (p.approval) {
            // the rebuilt run reaches its approval again (on this thread, or on workers inside a parallel)
            scheduler.await(CompletableFuture.anyOf(woken.signal(), woken.done));
          }
          return woken;
        }
        continue;
      }
      if (run == null && store != null && !inTransit(runId)) {
        Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = store.find(runId);
        Run woken = rec.isPresent() ? takeStored(runId, true) : null;
        if (woken != null) {
          if (rec.get().approval()) {
            scheduler.await(CompletableFuture.anyOf(woken.signal(), woken.done));
          }
          return woken;
        }
      }
      if (run != null || held(runId)) {
        Thread.onSpinWait();  // it is parking or waking right now
        continue;
      }
      throw new NotHeldHere();
    }
  }

  /** The run is not (or no longer) held by this engine: the decision is taken on the journal. */
  private static final class NotHeldHere extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotHeldHere() {
      super(null, null, false, false);
    }
  }

  /**
   * Whether this engine holds the run, in memory or parked. A run moving between the two is looked
   * for a few times, so that a run seen in neither has really left (or was never here).
   */
  private boolean held(String runId) {
    for (int i = 0; i < 64; i++) {
      if (lookup(runId) != null || parked.containsKey(runId)) {
        return true;
      }
      Thread.onSpinWait();
    }
    while (inTransit(runId)) {
      Thread.yield();  // a sweep or a decision is taking runs out of the store: they land in memory
      if (lookup(runId) != null || parked.containsKey(runId)) {
        return true;
      }
    }
    return lookup(runId) != null || parked.containsKey(runId) || storedHere(runId);
  }

  /**
   * Tells the engine that parked {@code runId} in the journal (in another process) that a decision on
   * it was recorded here: its record becomes due, and that engine takes it on its next heartbeat.
   */
  void nudge(String runId) {
    if (store == null) {
      return;  // the engine that runs it keeps it in memory: it sees the new events on its heartbeat
    }
    try {
      store.nudge(runId, clock.instant());
    } catch (RuntimeException e) {
      throw new dev.runbook4j.JournalException("The decision on run " + runId + " is recorded, but the engine"
          + " that holds the run could not be told to wake it (" + e.getMessage() + "); it sees the decision when"
          + " the run next wakes, or when its runner resumes it", e);
    }
  }

  /**
   * Calls {@code call} on the run, again on its rebuilt object if it parked in between, and again
   * when another process wrote to the run's journal first (the decision is taken on what it wrote).
   */
  private RunStatus decide(String runId, java.util.function.Function<Run, RunStatus> call) {
    while (true) {
      Run run = run(runId);
      try {
        RunStatus s = call.apply(run);
        run.mayPark = true;
        return s;
      } catch (Run.Parked again) {
        // it parked between the lookup and the call: go round
      } catch (Run.DecisionRaced raced) {
        run.mayPark = true;
        run.catchUp();  // the live run learns what was decided elsewhere, then decides again
      }
    }
  }

  @Override
  public RunStatus approve(String runId, String gateId, String user, String comment, String planHash) {
    while (true) {
      if (held(runId)) {
        try {
          return decide(runId, r -> r.approve(gateId, user, comment, planHash));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      RunStatus s = Decisions.decide(this, runId, gateId, user, true, comment, planHash);
      if (s != null) {
        nudge(runId);
        return s;
      }
    }
  }

  @Override
  public RunStatus reject(String runId, String gateId, String user, String reason) {
    while (true) {
      if (held(runId)) {
        try {
          return decide(runId, r -> r.reject(gateId, user, reason));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      RunStatus s = Decisions.decide(this, runId, gateId, user, false, reason, null);
      if (s != null) {
        nudge(runId);
        return s;
      }
    }
  }

  /** The runbook named {@code name} that this engine was given, or null. */
  Runbook<?> runbook(String name) {
    return catalog.get(name);
  }

  @Override
  public RunStatus cancel(String runId, String by, String reason) {
    while (true) {
      if (held(runId)) {
        try {
          return decide(runId, r -> r.cancel(by, reason));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      // driven elsewhere, parked in the journal or orphaned: the cancel is a write that holds only if
      // nothing was written since it was read; the run's driver sees it within a second (or when it
      // wakes, or when it is resumed)
      List<RunEvent> events = journal.read(runId);
      if (events.isEmpty()) {
        throw new UnknownRunException(runId);
      }
      History h = History.fold(runId, events);
      if (h.finished != null || h.cancelRequested) {
        return fold(runId);  // ended, or cancelled already; during a rollback the cancel is recorded, and changes nothing
      }
      if (journal.appendIf(runId, events.size(), List.of(new RunEvent.CancelRequested(runId, by,
          reason == null ? "" : reason, clock.instant())))) {
        nudge(runId);
        return fold(runId);
      }
    }
  }

  // ---------------------------------------------------------------- parking

  /**
   * What is left in memory of a parked run: this entry in {@link #parked} (and in {@link #wakeUps}
   * when it has a time to wake). No timer per run, no callbacks: about 140 bytes with its run id.
   */
  static final class ParkedRun {
    final String runId;
    final Runbook<?> runbook;
    final CompletableFuture<RunResult> done;
    final boolean approval;
    /** Events in the run's journal when it parked: more means another process decided on it. */
    final long version;
    /** The run's parameters as given (they may hold values the journal does not: secrets). */
    final Object params;
    /** When to wake it, in nanoseconds since the epoch of the engine's clock; {@link Long#MAX_VALUE}: never. */
    final long wakeAt;
    /** Why the run cannot be rebuilt (its journal does not verify): it stays parked, and awaiting it fails. */
    volatile String problem;
    /** Completed when the run is rebuilt; made only when someone awaits the run. */
    private CompletableFuture<Void> woken;
    private volatile boolean waking;

    ParkedRun(String runId, Runbook<?> runbook, CompletableFuture<RunResult> done, boolean approval, long version,
        Object params, long wakeAt) {
      this.runId = runId;
      this.params = params;
      this.runbook = runbook;
      this.done = done;
      this.approval = approval;
      this.version = version;
      this.wakeAt = wakeAt;
    }

    synchronized CompletableFuture<Void> woken() {
      if (woken == null) {
        woken = new CompletableFuture<>();
        if (waking) {
          woken.complete(null);
        }
      }
      return woken;
    }

    /** Claims the wake-up; false when another caller has it. */
    synchronized boolean claim() {
      if (waking) {
        return false;
      }
      waking = true;
      return true;
    }

    /** Whether it has been woken (or is being woken): its entry in the wake-up queue is stale. */
    boolean claimed() {
      return waking;
    }

    synchronized void woke() {
      if (woken != null) {
        woken.complete(null);
      }
    }
  }

  private static long nanos(java.time.Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  /**
   * The parked runs that have a time to wake, earliest first, and one timer armed for the earliest
   * ({@link #armedFor}): a million parked runs cost one scheduled task, not a million. A run woken
   * early (a decision, another process) leaves its entry here until it comes up or the queue is
   * purged; the timer is never left armed for such an entry (see {@link #rearm}). Guarded by itself.
   */
  private final java.util.PriorityQueue<ParkedRun> wakeUps =
      new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(p -> p.wakeAt));
  private Cancellable armed;
  private long armedFor = Long.MAX_VALUE;
  /** The earliest wake-up among the runs parked in the store (as far as this engine knows); guarded by wakeUps. */
  private long storedNext = Long.MAX_VALUE;
  /** The earliest wake-up parked in the store since the running sweep read the store's next one; guarded by wakeUps. */
  private long parkedDuringSweep = Long.MAX_VALUE;

  /** Stands for parameters read back from the journal when a run is rebuilt. */
  private static final Object PARAMS_FROM_JOURNAL = new Object();

  /**
   * Called by a run object that parked: the journal keeps it (when it can, and its parameters come
   * back equal from their journaled JSON), else it is replaced by an entry here; woken at
   * {@code wakeAt} (null: only by a decision).
   */
  void park(Run run, boolean approval, java.time.Instant wakeAt) {
    if (store != null && paramsRoundTrip(run) && parkInStore(run, approval, wakeAt)) {
      return;
    }
    parkEntry(new ParkedRun(run.runId, run.runbook, run.done, approval, run.journaled, run.params,
        wakeAt == null ? Long.MAX_VALUE : nanos(wakeAt)));
    runs.remove(run.runId, run);
    idle(run);
  }

  private void idle(Run run) {
    try {
      journal.idle(run.runId);
    } catch (RuntimeException e) {
      log.debug("Journal {} could not drop what it holds of parked run {}: {}", journal, run.runId, e.toString());
    }
  }

  private static boolean paramsRoundTrip(Run run) {
    if (run.params == null) {
      return true;
    }
    try {
      return run.params.equals(Json.params(run.plan.params(), run.runbook.parameterType()));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean parkInStore(Run run, boolean approval, java.time.Instant wakeAt) {
    int slot = slots.acquire(run.runbook, 1);
    try {
      store.park(engineId, run.runId, wakeAt, approval, run.journaled, slot);
    } catch (RuntimeException e) {
      slots.release(slot);
      log.warn("Run {} parks in memory: the journal could not record it ({})", run.runId, e.getMessage());
      return false;
    }
    stored.incrementAndGet();
    runs.remove(run.runId, run);
    idle(run);
    if (wakeAt != null) {
      long at = nanos(wakeAt);
      synchronized (wakeUps) {
        parkedDuringSweep = Math.min(parkedDuringSweep, at);
        if (at < storedNext) {
          storedNext = at;
          if (at < armedFor) {
            rearm();
          }
        }
      }
    }
    ensureTicking();
    return true;
  }

  /** Sweeps in a row that could not read the journal; guarded by {@link #wakeUps}. */
  private int sweepFailures;

  /**
   * Takes every run of this engine due in the store (on a worker) and rebuilds each; then arms the
   * timer for the store's next one.
   */
  private void sweep() {
    List<dev.runbook4j.spi.ParkedRuns.Parked> due;
    synchronized (wakeUps) {
      parkedDuringSweep = Long.MAX_VALUE;
    }
    sweeps.incrementAndGet();
    try {
      due = store.takeDue(engineId, clock.instant(), 256);
      for (dev.runbook4j.spi.ParkedRuns.Parked p : due) {
        mark(p.runId());
      }
    } catch (RuntimeException e) {
      java.time.Duration retry;
      synchronized (wakeUps) {
        // the journal does not answer: try again later, less often the longer it lasts (the heartbeat
        // tries too, whatever this timer says)
        retry = STORAGE_RETRY_FIRST.multipliedBy(1L << Math.min(sweepFailures++, 6));
        retry = retry.compareTo(STORAGE_RETRY_MAX) > 0 ? STORAGE_RETRY_MAX : retry;
        storedNext = Math.min(storedNext, nanos(clock.instant().plus(retry)));
        rearm();
      }
      log.warn("Parked runs could not be read from {} ({}); next try in {}", journal, e.getMessage(), retry);
      return;
    } finally {
      sweeps.decrementAndGet();
    }
    synchronized (wakeUps) {
      sweepFailures = 0;
    }
    stored.addAndGet(-due.size());
    for (dev.runbook4j.spi.ParkedRuns.Parked p : due) {
      rebuildStored(p, false);
    }
    long next;
    try {
      next = due.size() == 256 ? nanos(clock.instant()) : store.next(engineId).map(DefaultRunbookEngine::nanos)
          .orElse(Long.MAX_VALUE);
    } catch (RuntimeException e) {
      next = nanos(clock.instant().plus(STORAGE_RETRY_FIRST));
    }
    synchronized (wakeUps) {
      // never later than what is known: a wake-up parked meanwhile (or by a sweep running beside this
      // one) is not lost; one that is stale only costs an empty sweep
      storedNext = Math.min(storedNext, Math.min(next, parkedDuringSweep));
      rearm();
    }
  }

  /**
   * Takes a run this engine parked in the store out of it and rebuilds it (to decide on it, or to go
   * on); null when it is not there.
   */
  private Run takeStored(String runId, boolean forDecision) {
    Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = store.find(runId);
    if (rec.isEmpty() || !rec.get().engine().equals(engineId)) {
      return null;
    }
    mark(runId);
    boolean took;
    try {
      took = store.take(runId);
    } catch (RuntimeException e) {
      unmark(runId);
      throw e;
    }
    if (!took) {
      unmark(runId);  // a sweep took it: it is being rebuilt
      return null;
    }
    stored.decrementAndGet();
    return rebuildStored(rec.get(), forDecision);
  }

  /** Whether this engine parked the run in the store. */
  private boolean storedHere(String runId) {
    return store != null && store.find(runId).map(r -> r.engine().equals(engineId)).orElse(false);
  }

  /**
   * Rebuilds a run taken out of the store (marked as waking by the caller): it becomes an entry in
   * {@link #parked} for the moment {@link #unpark} rebuilds it, which leaves it there, as any parked
   * run, when it cannot go on now.
   */
  private Run rebuildStored(dev.runbook4j.spi.ParkedRuns.Parked rec, boolean forDecision) {
    String runId = rec.runId();
    ParkedRun p = new ParkedRun(runId, slots.get(rec.slot()), new CompletableFuture<>(), rec.approval(), rec.events(),
        PARAMS_FROM_JOURNAL, Long.MAX_VALUE);
    parked.put(runId, p);  // before the mark goes: never in neither place
    slots.release(rec.slot());
    unmark(runId);
    try {
      return unpark(runId, p, forDecision);
    } finally {
      CompletableFuture<Void> signal = rebuilt.remove(runId);
      if (signal != null) {
        signal.complete(null);
      }
    }
  }

  private void mark(String runId) {
    waking.merge(runId, 1, Integer::sum);
  }

  private void unmark(String runId) {
    waking.computeIfPresent(runId, (k, n) -> n == 1 ? null : n - 1);
  }

  /** Whether a run is between the store and memory right now. */
  private boolean inTransit(String runId) {
    return waking.containsKey(runId) || sweeps.get() > 0;
  }

  /** The runbooks of the runs parked in the store, by slot, each with how many parked runs use it. */
  private static final class Slots {
    private final List<Runbook<?>> books = new ArrayList<>();
    private final List<Integer> uses = new ArrayList<>();
    private final java.util.IdentityHashMap<Runbook<?>, Integer> index = new java.util.IdentityHashMap<>();
    private final java.util.ArrayDeque<Integer> free = new java.util.ArrayDeque<>();

    synchronized int acquire(Runbook<?> runbook, int runs) {
      Integer slot = index.get(runbook);
      if (slot == null) {
        slot = free.isEmpty() ? books.size() : free.pop();
        if (slot == books.size()) {
          books.add(runbook);
          uses.add(0);
        } else {
          books.set(slot, runbook);
        }
        index.put(runbook, slot);
      }
      uses.set(slot, uses.get(slot) + runs);
      return slot;
    }

    synchronized Runbook<?> get(int slot) {
      return books.get(slot);
    }

    synchronized void release(int slot) {
      int n = uses.get(slot) - 1;
      uses.set(slot, n);
      if (n == 0) {
        index.remove(books.get(slot));
        books.set(slot, null);
        free.push(slot);
      }
    }
  }

  private void parkEntry(ParkedRun p) {
    parked.put(p.runId, p);
    if (p.wakeAt == Long.MAX_VALUE) {
      return;
    }
    synchronized (wakeUps) {
      if (wakeUps.size() > 1024 && wakeUps.size() > 2 * parked.size()) {
        wakeUps.removeIf(ParkedRun::claimed);  // mostly runs woken early: purge, amortized over the parks
      }
      wakeUps.add(p);
      if (p.wakeAt < armedFor) {
        rearm();
      }
    }
  }

  /** Arms the timer for the earliest live entry; holds {@link #wakeUps}. */
  private void rearm() {
    while (!wakeUps.isEmpty() && wakeUps.peek().claimed()) {
      wakeUps.poll();
    }
    ParkedRun first = wakeUps.peek();
    long at = Math.min(first == null ? Long.MAX_VALUE : first.wakeAt, storedNext);
    if (at == armedFor && armed != null) {
      return;
    }
    if (armed != null) {
      armed.cancel();
      armed = null;
    }
    armedFor = at;
    if (at != Long.MAX_VALUE && !closed) {
      armed = scheduler.schedule(java.time.Duration.ofNanos(Math.max(0, at - nanos(clock.instant()))), this::wakeDue);
    }
  }

  /** The timer: wakes every parked run whose time has come and arms the timer for the next. */
  private void wakeDue() {
    List<ParkedRun> due = new ArrayList<>();
    boolean sweep = false;
    synchronized (wakeUps) {
      long now = nanos(clock.instant());
      while (!wakeUps.isEmpty() && wakeUps.peek().wakeAt <= now) {
        ParkedRun p = wakeUps.poll();
        if (!p.claimed()) {
          due.add(p);
        }
      }
      if (storedNext <= now) {
        storedNext = Long.MAX_VALUE;  // the sweep reads the next one from the store
        sweep = true;
      }
      armed = null;
      armedFor = Long.MAX_VALUE;
      rearm();
    }
    for (ParkedRun p : due) {
      wake(p.runId, p);
    }
    if (sweep) {
      try {
        workers.execute(this::sweep);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        log.warn("Parked runs stay in {}: the engine is closed", journal);
      }
    }
  }

  /** Takes an entry woken before its time out of the timer's way (the rest of the queue is purged lazily). */
  private void unqueue(ParkedRun p) {
    if (p.wakeAt == Long.MAX_VALUE) {
      return;
    }
    synchronized (wakeUps) {
      if (armedFor == p.wakeAt) {
        rearm();
      }
    }
  }

  private void wake(String runId, ParkedRun p) {
    try {
      workers.execute(() -> unpark(runId, p, false));
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      log.warn("Run {} stays parked: the engine is closed", runId);
    }
  }

  /**
   * Rebuilds a parked run from the journal and starts it where it was; returns the new object, or
   * null when another caller woke it first. {@code forDecision}: on this thread, and the run stays
   * in memory until the decision is applied.
   */
  private Run unpark(String runId, ParkedRun p, boolean forDecision) {
    if (!p.claim()) {
      return null;
    }
    unqueue(p);
    Run run;
    try {
      List<RunEvent> events = journal.read(runId);
      Optional<String> problem = journal.problem(runId);
      if (problem.isPresent()) {
        log.error("Parked run {} does not verify and stays parked: {}", runId, problem.get());
        p.problem = "Run " + runId + " does not verify: " + problem.get() + ". It is left as it is (no forward"
            + " progress, no rollback); restore the journal or resolve the run by hand";
        p.woke();
        return null;
      }
      History history = History.fold(runId, events);
      @SuppressWarnings("unchecked")
      Runbook<Object> runbook = (Runbook<Object>) p.runbook;
      Object params = p.params == PARAMS_FROM_JOURNAL ? Json.params(history.started.params(), runbook.parameterType())
          : p.params;
      Plan plan = Plan.of(runbook, params);
      String mismatch = planMismatch(runbook, plan, history.started.planHash());
      if (mismatch != null) {
        // taken over from an engine that is gone, with a runbook that changed since
        log.error("Parked run {} cannot go on with the runbook given and stays parked: {}", runId, mismatch);
        p.problem = "Run " + runId + " (" + runbook.name() + ") cannot go on: " + mismatch;
        p.woke();
        return null;
      }
      run = new Run(this, runId, runbook, params, history.started.requester(), plan, history, p.done, true);
    } catch (RuntimeException e) {
      // the journal cannot be read now: stay parked and try again later
      parkEntry(new ParkedRun(runId, p.runbook, p.done, p.approval, p.version, p.params,
          nanos(clock.instant().plus(STORAGE_RETRY_FIRST))));
      p.woke();
      log.warn("Parked run {} could not be rebuilt ({}); next try in {}", runId, e.getMessage(), STORAGE_RETRY_FIRST);
      return null;
    }
    run.mayPark = !forDecision;
    runs.put(runId, run);
    parked.remove(runId, p);
    p.woke();
    launch(run, forDecision);
    return run;
  }

  @Override
  public RunStatus status(String runId) {
    Run run = lookup(runId);
    if (run != null) {
      return run.status();
    }
    return fold(runId);
  }

  /** The status of a run this engine did not start, read from its journal. */
  RunStatus fold(String runId) {
    List<RunEvent> events = journal.read(runId);
    if (events.isEmpty()) {
      throw new UnknownRunException(runId);
    }
    History h = History.fold(runId, events);
    RunEvent.RunStarted s = h.started;
    boolean ended = h.finished != null;
    return new RunStatus(runId, s == null ? "" : s.runbook(), h.state, s == null ? "" : s.requester(),
        s == null ? "" : s.planHash(), ended ? List.of() : h.active(), ended ? List.of() : h.awaiting(), h.startOrder, List.copyOf(h.compensated),
        Optional.ofNullable(h.rollback).map(RunEvent.RollbackStarted::cause), 0, events.get(events.size() - 1).at());
  }

  @Override
  public dev.runbook4j.RunPlace where(String runId) {
    Run run = lookup(runId);
    Optional<dev.runbook4j.RunnerInfo> me = leases == null ? Optional.empty() : leases.runnerInfo(leases.runner());
    if (run != null && !run.done.isDone() && !run.parked() && run.storageError() == null) {
      return new dev.runbook4j.RunPlace(runId, dev.runbook4j.RunPlace.Place.DRIVEN_HERE, me);
    }
    if (parked.containsKey(runId) || storedHere(runId)) {
      return new dev.runbook4j.RunPlace(runId, dev.runbook4j.RunPlace.Place.PARKED, me);
    }
    RunStatus s = fold(runId);
    if (s.state().isTerminal()) {
      return new dev.runbook4j.RunPlace(runId, dev.runbook4j.RunPlace.Place.ENDED, Optional.empty());
    }
    Optional<dev.runbook4j.RunnerInfo> driver = leases == null ? Optional.empty()
        : leases.driver(runId, clock.instant());
    boolean parkedInJournal = store != null && store.find(runId).isPresent();
    if (driver.isPresent() && !driver.get().id().equals(leases.runner())) {
      return new dev.runbook4j.RunPlace(runId, parkedInJournal ? dev.runbook4j.RunPlace.Place.PARKED
          : dev.runbook4j.RunPlace.Place.DRIVEN_ELSEWHERE, driver);
    }
    return new dev.runbook4j.RunPlace(runId, dev.runbook4j.RunPlace.Place.ORPHANED, Optional.empty());
  }

  @Override
  public List<RunEvent> history(String runId) {
    List<RunEvent> events = journal.read(runId);
    if (events.isEmpty() && lookup(runId) == null) {
      throw new UnknownRunException(runId);
    }
    return events;
  }

  @Override
  public List<String> runs() {
    return journal.runIds();
  }

  @Override
  public Subscription onEvent(RunListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** A run object stopped on a storage error: rebuild it from the journal when the journal works again. */
  void onStorageError(Run run) {
    scheduleRecovery(run, STORAGE_RETRY_FIRST);
  }

  private static final java.time.Duration STORAGE_RETRY_FIRST = java.time.Duration.ofSeconds(5);
  private static final java.time.Duration STORAGE_RETRY_MAX = java.time.Duration.ofMinutes(5);

  private void scheduleRecovery(Run paused, java.time.Duration delay) {
    scheduler.schedule(delay, () -> {
      if (closed) {
        return;  // a closed engine (one with a caller's pool, which close leaves running) stops recovering
      }
      try {
        workers.execute(() -> recover(paused, delay));
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        log.warn("Run {} stays paused on a storage error: the engine is closed", paused.runId);
      }
    });
  }

  private void recover(Run paused, java.time.Duration delay) {
    if (lookup(paused.runId) != paused) {
      return;
    }
    Run successor;
    try {
      List<RunEvent> events = journal.read(paused.runId);
      Optional<String> problem = journal.problem(paused.runId);
      if (problem.isPresent()) {
        log.error("Run {} does not verify after a storage error and stays paused: {}", paused.runId, problem.get());
        return;
      }
      History history = History.fold(paused.runId, events);
      if (history.started == null) {
        // the run was never recorded: nothing happened, nothing to continue
        log.warn("Run {} was never recorded; start it again", paused.runId);
        return;
      }
      successor = new Run(this, paused.runId, paused.runbook, paused.params, paused.requester, paused.plan, history,
          paused.done, false);
      runs.put(paused.runId, successor);
      launch(successor, false);
      log.info("Run {} continues after a storage error", paused.runId);
    } catch (RuntimeException e) {
      java.time.Duration next = delay.multipliedBy(2);
      log.warn("Run {} is still paused on a storage error ({}); next try in {}", paused.runId, e.getMessage(),
          next.compareTo(STORAGE_RETRY_MAX) > 0 ? STORAGE_RETRY_MAX : next);
      runs.put(paused.runId, paused);  // still the run's current object until a successor starts
      scheduleRecovery(paused, next.compareTo(STORAGE_RETRY_MAX) > 0 ? STORAGE_RETRY_MAX : next);
    }
  }

  /** The run was taken over by another runner: this engine forgets it (its handle reports why). */
  void onLeaseLost(Run run) {
    recent.put(run.runId, run);
    runs.remove(run.runId, run);
  }

  /** Starts the heartbeat if there is anything to renew, poll or take over. */
  private void ensureTicking() {
    if (closed || (leases == null && locks instanceof InMemoryLockManager)) {
      return;
    }
    if (ticking.compareAndSet(false, true)) {
      // with a shared journal, at least every second: decisions from other processes are seen within it
      scheduler.schedule(leases != null && heartbeat.compareTo(DECISIONS_SEEN_WITHIN) > 0 ? DECISIONS_SEEN_WITHIN
          : heartbeat, this::tick);
    }
  }

  /**
   * The heartbeat: renews this runner's leases, delivers lock grants made by other runners, and
   * takes over the expired runs of the runbooks it knows. It goes on while the engine has runs or
   * takes over runs.
   */
  private void tick() {
    if (closed) {
      return;
    }
    try {
      workers.execute(() -> {
        try {
          beat();
        } catch (RuntimeException e) {
          log.warn("Heartbeat of runner {} failed: {}; next try in {}", leases == null ? "-" : leases.runner(),
              e.getMessage(), heartbeat);
        } finally {
          ticking.set(false);
          if (!closed && (!runs.isEmpty() || !parked.isEmpty() || stored.get() > 0
              || (leases != null && takeOver))) {
            ensureTicking();
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      ticking.set(false);
    }
  }

  /** Decisions other processes write on this engine's runs are seen within this (see {@link #beat}). */
  private static final java.time.Duration DECISIONS_SEEN_WITHIN = java.time.Duration.ofSeconds(1);
  /** When the leases were last renewed; guarded by the heartbeat (one beat at a time). */
  private java.time.Instant renewed;

  private void beat() {
    java.time.Instant now = clock.instant();
    boolean renew = leases != null && (renewed == null || !now.isBefore(renewed.plus(heartbeat)));
    if (renew && parked.isEmpty()) {
      leases.extend(now);  // nothing in memory to compare with what the journal holds: no need to read it back
      renewed = now;
    } else if (renew) {
      Map<String, Long> owned = leases.renew(now);
      renewed = now;
      parked.forEach((runId, p) -> {
        Long events = owned.get(runId);
        if (events != null && events > p.version) {
          wake(runId, p);  // another process recorded a decision on it
        }
      });
    }
    if (leases != null) {
      catchUpLiveRuns();
    }    if (store != null && stored.get() > 0) {
      sweep();  // runs another process decided on were made due then (nudged); nothing else is read
    }
    locks.poll();
    if (leases == null || !takeOver) {
      return;
    }
    for (String runId : leases.takeExpired(catalog.keySet(), 32, now)) {
      Run known = lookup(runId);
      if ((known != null && !known.done.isDone()) || parked.containsKey(runId)) {
        continue;
      }
      try {
        History h = History.fold(runId, journal.read(runId));
        Runbook<?> runbook = h.started == null ? null : catalog.get(h.started.runbook());
        if (runbook == null) {
          leases.release(runId);
          continue;
        }
        recent.remove(runId);
        resume(runId, runbook);
        log.info("Runner {} took over run {} ({}) from a runner whose lease expired", leases.runner(), runId,
            runbook.name());
      } catch (RuntimeException e) {
        log.error("Runner {} could not take over run {}: {}", leases.runner(), runId, e.getMessage());
      }
    }
  }

  /**
   * The runs this engine drives in memory whose journals hold events it did not write (a decision
   * from another process: an approval, a rejection, a cancel) learn them now: one read of the run
   * heads for all of them, and a read of each run that moved.
   */
  private void catchUpLiveRuns() {
    List<Run> live = new ArrayList<>();
    for (Run r : runs.values()) {
      if (!r.done.isDone() && !r.parked() && r.storageError() == null) {
        live.add(r);
      }
    }
    if (live.isEmpty()) {
      return;
    }
    Map<String, Long> lengths = journal.lengths(live.stream().map(r -> r.runId).toList());
    for (Run r : live) {
      Long n = lengths.get(r.runId);
      if (n != null && n > r.journaled) {
        try {
          r.catchUp();
        } catch (RuntimeException e) {
          log.warn("Run {} could not read what other processes decided on it: {}", r.runId, e.getMessage());
        }
      }
    }
  }

  @Override
  public Load load() {
    int live = 0;
    for (Run r : runs.values()) {
      if (!r.done.isDone() && !r.parked()) {
        live++;
      }
    }
    return new Load(live, parked.size() + stored.get());
  }

  @Override
  public List<dev.runbook4j.LockInfo> locks() {
    return locks.list();
  }

  @Override
  public String releaseLock(String key, String by, String reason) {
    String holder = locks.holder(key);
    if (holder == null) {
      throw new IllegalStateException("Lock '" + key + "' is not held by any run");
    }
    RunStatus s = status(holder);
    if (!s.state().isTerminal()) {
      throw new IllegalStateException("Lock '" + key + "' is held by run " + holder + " (" + s.runbook() + "), which is "
          + s.state() + "; a lock is released by hand only after its run has ended (cancel the run instead)");
    }
    // journaled first: a release nobody can account for never happens
    journal.append(new RunEvent.LockForceReleased(holder, key, by, reason == null ? "" : reason, clock.instant()));
    locks.forceRelease(key);
    log.warn("Lock '{}' of run {} ({}, {}) released by {}: {}", key, holder, s.runbook(), s.state(), by, reason);
    return holder;
  }

  void dispatch(Run run, RunEvent event) {
    for (RunListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (Throwable t) {
        run.listenerFailures.incrementAndGet();
        log.warn("Listener {} failed on {} of run {}; the run goes on", l, event.getClass().getSimpleName(),
            run.runId, t);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (wakeUps) {
      if (armed != null) {
        armed.cancel();  // parked runs stay in the journal; the next engine on it resumes them
        armed = null;
      }
    }
    if (ownedPool != null) {
      ownedPool.shutdownNow();
    }
    if (ownedScheduler != null) {
      ownedScheduler.close();
    }
  }

  /** How often a handle on a run driven elsewhere reads the journal. */
  private static final java.time.Duration FOLLOW_EVERY = java.time.Duration.ofMillis(250);

  /**
   * A handle on a run another live runner drives: it reads the journal (never drives the run) and
   * ends when the run ends, when it parks at an approval, or when its runner is gone (then the run
   * is orphaned, and {@code await} returns its state so that the caller can resume it).
   */
  private final class FollowingHandle implements RunHandle {
    private final String runId;
    private final CompletableFuture<RunResult> ended = new CompletableFuture<>();
    /** Whether a poll of the journal is scheduled (one per handle, until the run ends). */
    private final java.util.concurrent.atomic.AtomicBoolean polling = new java.util.concurrent.atomic.AtomicBoolean();

    FollowingHandle(String runId) {
      this.runId = runId;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public RunStatus status() {
      return fold(runId);
    }

    private boolean drivenElsewhere() {
      return leases != null && leases.driver(runId, clock.instant()).map(d -> !d.id().equals(leases.runner()))
          .orElse(false);
    }

    @Override
    public RunResult await() {
      while (true) {
        RunResult r = new JournalHandle(runId).await();
        if (r.state().isTerminal()) {
          ended.complete(r);
          return r;
        }
        if (r.state() == RunState.AWAITING_APPROVAL || !drivenElsewhere()) {
          return r;
        }
        CompletableFuture<Void> tick = new CompletableFuture<>();
        scheduler.schedule(FOLLOW_EVERY, () -> tick.complete(null));
        scheduler.await(tick);
      }
    }

    @Override
    public CompletableFuture<RunResult> result() {
      if (!ended.isDone() && polling.compareAndSet(false, true)) {
        RunResult r = new JournalHandle(runId).await();
        if (r.state().isTerminal()) {
          ended.complete(r);
        } else {
          poll();
        }
      }
      return ended.thenApply(r -> r);
    }

    private void poll() {
      scheduler.schedule(FOLLOW_EVERY, () -> {
        if (ended.isDone() || closed) {
          return;
        }
        try {
          RunResult r = new JournalHandle(runId).await();
          if (r.state().isTerminal()) {
            ended.complete(r);
            return;
          }
        } catch (RuntimeException e) {
          log.debug("Run {} could not be read while following it: {}", runId, e.toString());
        }
        poll();
      });
    }

    @Override
    public String toString() {
      return "RunHandle[" + runId + ", driven elsewhere]";
    }
  }

  /** A handle on an ended run known only from the journal. */
  private final class JournalHandle implements RunHandle {
    private final String runId;

    JournalHandle(String runId) {
      this.runId = runId;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public RunStatus status() {
      return fold(runId);
    }

    @Override
    public RunResult await() {
      RunStatus s = fold(runId);
      return new RunResult(runId, s.runbook(), s.state(),
          s.failure().map(dev.runbook4j.RunbookException::new), s.started(), s.compensated(), List.of(), List.of(),
          Map.of());
    }

    @Override
    public CompletableFuture<RunResult> result() {
      RunResult r = await();
      return r.state().isTerminal() ? CompletableFuture.completedFuture(r) : new CompletableFuture<>();
    }
  }

  private final class Handle implements RunHandle {
    private final String runId;
    /** Completes when the run ends, whichever object of it ends it. */
    private final CompletableFuture<RunResult> done;
    /**
     * The live object last seen, so a run that stopped here (lease lost, storage error) or ended and
     * left the cache stays readable; cleared while the run is parked, so handles do not hold parked runs.
     */
    private volatile Run last;

    Handle(String runId, CompletableFuture<RunResult> done) {
      this.runId = runId;
      this.done = done;
      this.last = lookup(runId);
    }

    /** The run's live object now, or null while it is parked (or known only from the journal). */
    private Run live() {
      Run run = lookup(runId);
      if (run != null && !run.parked()) {
        last = run;
        return run;
      }
      Run seen = last;
      if (run != null || parked.containsKey(runId) || (seen != null && seen.parked())) {
        last = null;
        return null;
      }
      return seen;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public RunStatus status() {
      Run run = live();
      return run != null ? run.status() : fold(runId);
    }

    @Override
    public RunResult await() {
      int unseen = 0;
      while (true) {
        if (done.isDone()) {
          return done.join();
        }
        Run current = lookup(runId);
        if (current != null && current.done.isDone()) {
          return current.done.join();  // ended by an object rebuilt from the store
        }
        Run run = live();
        if (run == null) {
          ParkedRun p = parked.get(runId);
          if (p == null) {
            if (lookup(runId) != null || waking.containsKey(runId)) {
              Thread.yield();  // parking or waking right now (the object is still, or already, in memory)
              continue;
            }
            if (store != null) {
              CompletableFuture<Void> woken = rebuilt.computeIfAbsent(runId, k -> new CompletableFuture<>());
              Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = store.find(runId);
              if (rec.isPresent() && rec.get().engine().equals(engineId)) {
                unseen = 0;
                if (rec.get().approval()) {
                  return new JournalHandle(runId).await();  // awaiting approval, parked in the journal
                }
                scheduler.await(woken);
                continue;
              }
              rebuilt.remove(runId, woken);
            }
            // a run of this engine that has not ended is in memory or parked; one in neither (looked for a
            // few times) is no longer held here, and is read from the journal
            if (++unseen < 1_000) {
              Thread.yield();
              continue;
            }
            return new JournalHandle(runId).await();
          }
          unseen = 0;
          if (p.problem != null) {
            throw new dev.runbook4j.JournalException(p.problem, null);
          }
          if (p.approval) {
            return new JournalHandle(runId).await();  // awaiting approval, parked
          }
          scheduler.await(CompletableFuture.anyOf(done, p.woken()));
          continue;
        }
        CompletableFuture<Void> signal = run.signal();
        if (run.state() == RunState.AWAITING_APPROVAL) {
          return run.result();
        }
        if (run.storageError() != null) {
          throw run.storageError();
        }
        if (run.parked()) {
          continue;
        }
        scheduler.await(CompletableFuture.anyOf(signal, done));
      }
    }

    @Override
    public CompletableFuture<RunResult> result() {
      if (store == null) {
        return done.thenApply(r -> r);
      }
      // the run may park in the journal and end on an object rebuilt from it, with a future of its own
      CompletableFuture<RunResult> ends = results.computeIfAbsent(runId, k -> new CompletableFuture<>());
      done.thenAccept(ends::complete);
      Run current = lookup(runId);
      if (current != null && current.done.isDone()) {
        ends.complete(current.done.join());
      } else if (current == null && !held(runId)) {
        RunResult fromJournal = new JournalHandle(runId).await();
        if (fromJournal.state().isTerminal()) {
          ends.complete(fromJournal);
        }
      }
      if (ends.isDone()) {
        results.remove(runId, ends);  // ended already: nothing will complete it again
      }
      return ends.thenApply(r -> r);
    }

    @Override
    public String toString() {
      return "RunHandle[" + runId + "]";
    }
  }
}
