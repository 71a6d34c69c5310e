package dev.runbook4j.internal.engine;

import dev.runbook4j.Runbook;
import dev.runbook4j.internal.run.Run;
import dev.runbook4j.spi.Cancellable;
import dev.runbook4j.spi.ParkedRuns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parked runs: a run that only waits, for long enough, leaves memory. On a journal with
 * {@link ParkedRuns} (JDBC) it waits in the journal (a row saying when to wake it, nothing in
 * memory but its runbook's slot); on another, as a small entry here. One timer, armed for the
 * earliest wake-up of either kind, wakes the runs whose time has come; a decision wakes one early.
 * A woken run is rebuilt from its journal ({@link Rebuilds}) and goes on.
 */
final class ParkingLot {
  private static final Logger log = LoggerFactory.getLogger(ParkingLot.class);

  private final Services s;
  private final RunRegistry registry;
  private Heartbeat beats;
  /** Runs that wait with nothing in memory but this entry; rebuilt from the journal when they wake. */
  private final Map<String, ParkedRun> parked = new ConcurrentHashMap<>();
  /**
   * Where the journal keeps parked runs, if it does (null: they stay in {@link #parked}); then a
   * parked run costs this engine nothing in memory but its runbook's slot (shared by the runs of one
   * runbook object).
   */
  final ParkedRuns store;
  /** This engine object's name in the store's records. */
  final String engineId = java.util.UUID.randomUUID().toString();
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

  ParkingLot(Services s, RunRegistry registry) {
    this.s = s;
    this.registry = registry;
    this.store = s.parkAfter == null ? null : s.journal.parkedRuns().orElse(null);
  }

  void wire(Heartbeat beats) {
    this.beats = beats;
  }

  static long nanos(java.time.Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  /** The entry of a run parked in memory here, or null. */
  ParkedRun entry(String runId) {
    return parked.get(runId);
  }

  /** Whether the run is parked in memory here. */
  boolean holds(String runId) {
    return parked.containsKey(runId);
  }

  /** Whether the journal holds a parked row of the run (any engine's). */
  boolean parkedInJournal(String runId) {
    return store != null && store.find(runId).isPresent();
  }

  /** Whether a run is between the store and memory right now, or that cannot be told (a sweep runs). */
  boolean waking(String runId) {
    return waking.containsKey(runId);
  }

  /** The signal a handle waits on for a run parked in the store: completed when it is rebuilt. */
  CompletableFuture<Void> rebuiltSignal(String runId) {
    return rebuilt.computeIfAbsent(runId, k -> new CompletableFuture<>());
  }

  void dropRebuiltSignal(String runId, CompletableFuture<Void> signal) {
    rebuilt.remove(runId, signal);
  }

  /** Whether anything is parked here or in the store by this engine. */
  boolean any() {
    return !parked.isEmpty() || stored.get() > 0;
  }

  /** The entries parked in memory. */
  Map<String, ParkedRun> entries() {
    return parked;
  }

  /** Whether this engine parked runs in the store. */
  boolean anyStored() {
    return store != null && stored.get() > 0;
  }

  int count() {
    return parked.size() + stored.get();
  }

  /** The engine closes: the timer is cancelled; parked runs stay in the journal, for the next engine on it. */
  void close() {
    synchronized (wakeUps) {
      if (armed != null) {
        armed.cancel();
        armed = null;
      }
    }
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
    parkEntry(new ParkedRun(run.runId, run.runbook, run.done, approval, run.journaled(), run.params,
        wakeAt == null ? Long.MAX_VALUE : nanos(wakeAt)));
    registry.remove(run);
    idle(run);
  }

  private void idle(Run run) {
    try {
      s.journal.idle(run.runId);
    } catch (RuntimeException e) {
      log.debug("Journal {} could not drop what it holds of parked run {}: {}", s.journal, run.runId, e.toString());
    }
  }

  private static boolean paramsRoundTrip(Run run) {
    if (run.params == null) {
      return true;
    }
    try {
      return run.params.equals(dev.runbook4j.spi.EventCodec.params(run.plan.params(), run.runbook.parameterType()));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean parkInStore(Run run, boolean approval, java.time.Instant wakeAt) {
    int slot = slots.acquire(run.runbook, 1);
    try {
      store.park(engineId, run.runId, wakeAt, approval, run.journaled(), slot);
    } catch (RuntimeException e) {
      slots.release(slot);
      log.warn("Run {} parks in memory: the journal could not record it ({})", run.runId, e.getMessage());
      return false;
    }
    stored.incrementAndGet();
    registry.remove(run);
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
    beats.ensureTicking();
    return true;
  }

  /** Sweeps in a row that could not read the journal; guarded by {@link #wakeUps}. */
  private int sweepFailures;

  /**
   * Takes every run of this engine due in the store (on a worker) and rebuilds each; then arms the
   * timer for the store's next one.
   */
  void sweep() {
    List<dev.runbook4j.spi.ParkedRuns.Parked> due;
    synchronized (wakeUps) {
      parkedDuringSweep = Long.MAX_VALUE;
    }
    sweeps.incrementAndGet();
    try {
      due = store.takeDue(engineId, s.now(), 256);
      for (dev.runbook4j.spi.ParkedRuns.Parked p : due) {
        mark(p.runId());
      }
    } catch (RuntimeException e) {
      java.time.Duration retry;
      synchronized (wakeUps) {
        // the journal does not answer: try again later, less often the longer it lasts (the heartbeat
        // tries too, whatever this timer says)
        retry = Heartbeat.RETRY_FIRST.multipliedBy(1L << Math.min(sweepFailures++, 6));
        retry = retry.compareTo(Heartbeat.RETRY_MAX) > 0 ? Heartbeat.RETRY_MAX : retry;
        storedNext = Math.min(storedNext, nanos(s.now().plus(retry)));
        rearm();
      }
      log.warn("Parked runs could not be read from {} ({}); next try in {}", s.journal, e.getMessage(), retry);
      return;
    } finally {
      sweeps.decrementAndGet();
      moved();
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
      next = due.size() == 256 ? nanos(s.now()) : store.next(engineId).map(ParkingLot::nanos)
          .orElse(Long.MAX_VALUE);
    } catch (RuntimeException e) {
      next = nanos(s.now().plus(Heartbeat.RETRY_FIRST));
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
  Run takeStored(String runId, boolean forDecision) {
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
  boolean storedHere(String runId) {
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
    moved();
  }

  /**
   * Runs move between memory, parked entries and the store in an order that never leaves one in
   * neither place, except while a sweep or a wake-up takes it out of the store; whoever looks for
   * such a run in transit waits on this monitor, told by {@link #moved}, instead of spinning.
   */
  private final Object moves = new Object();

  private void moved() {
    synchronized (moves) {
      moves.notifyAll();
    }
  }

  /** Blocks while {@code runId} is between the store and memory (a sweep or a wake-up taking it out). */
  void awaitSettled(String runId) {
    synchronized (moves) {
      while (inTransit(runId)) {
        try {
          moves.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Whether a run is between the store and memory right now. */
  boolean inTransit(String runId) {
    return waking.containsKey(runId) || sweeps.get() > 0;
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
    if (at != Long.MAX_VALUE && !s.closed) {
      armed = s.scheduler.schedule(java.time.Duration.ofNanos(Math.max(0, at - nanos(s.now()))), this::wakeDue);
    }
  }

  /** The timer: wakes every parked run whose time has come and arms the timer for the next. */
  private void wakeDue() {
    List<ParkedRun> due = new ArrayList<>();
    boolean sweep = false;
    synchronized (wakeUps) {
      long now = nanos(s.now());
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
        s.workers.execute(this::sweep);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        log.warn("Parked runs stay in {}: the engine is closed", s.journal);
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

  void wake(String runId, ParkedRun p) {
    try {
      s.workers.execute(() -> unpark(runId, p, false));
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      log.warn("Run {} stays parked: the engine is closed", runId);
    }
  }

  /**
   * Rebuilds a parked run from the journal and starts it where it was; returns the new object, or
   * null when another caller woke it first. {@code forDecision}: on this thread, and the run stays
   * in memory until the decision is applied.
   */
  Run unpark(String runId, ParkedRun p, boolean forDecision) {
    if (!p.claim()) {
      return null;
    }
    unqueue(p);
    Run run;
    try {
      Rebuilds.Read read = Rebuilds.read(s.journal, runId);
      if (read.problem() != null) {
        log.error("Parked run {} does not verify and stays parked: {}", runId, read.problem());
        p.problem = read.problem();
        p.woke();
        return null;
      }
      try {
        run = Rebuilds.run(s, read.ledger(), p.runbook, p.params == PARAMS_FROM_JOURNAL ? null : p.params, p.done,
            Run.Purpose.UNPARKED);
      } catch (dev.runbook4j.RunbookDefinitionException mismatch) {
        // taken over from an engine that is gone, with a runbook that changed since
        log.error("Parked run {} cannot go on with the runbook given and stays parked: {}", runId,
            mismatch.getMessage());
        p.problem = "Run " + runId + " (" + p.runbook.name() + ") cannot go on: " + mismatch.getMessage();
        p.woke();
        return null;
      }
    } catch (RuntimeException e) {
      // the journal cannot be read now: stay parked and try again later
      parkEntry(new ParkedRun(runId, p.runbook, p.done, p.approval, p.version, p.params,
          nanos(s.now().plus(Heartbeat.RETRY_FIRST))));
      p.woke();
      log.warn("Parked run {} could not be rebuilt ({}); next try in {}", runId, e.getMessage(), Heartbeat.RETRY_FIRST);
      return null;
    }
    run.mayPark = !forDecision;
    registry.put(run);
    parked.remove(runId, p);
    p.woke();
    registry.launch(run, forDecision, beats);
    return run;
  }

  /**
   * Takes over the runs an engine that is gone left parked in the journal, runbook by runbook: they
   * stay parked there, now this engine's (nothing is rebuilt until each wakes; its plan and journal
   * are checked then). Adds a handle for each to {@code handles}; returns their ids.
   */
  java.util.Set<String> adopt(java.util.function.Function<String, Runbook<?>> runbooks, List<String> handles) {
    java.util.Set<String> adopted = new java.util.HashSet<>();
    for (String name : store.runbooksParkedElsewhere(engineId)) {
      Runbook<?> runbook = runbooks.apply(name);
      if (runbook == null) {
        continue;  // said run by run below
      }
      int slot = slots.acquire(runbook, 1);
      List<dev.runbook4j.spi.ParkedRuns.Parked> taken;
      try {
        taken = store.adopt(engineId, name, slot, s.now());
      } catch (RuntimeException e) {
        slots.release(slot);
        log.error("The runs of runbook '{}' parked in {} were not taken over: {}", name, s.journal, e.getMessage());
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
        handles.add(p.runId());
        if (p.wakeAt() != null) {
          first = Math.min(first, nanos(p.wakeAt()));
        }
      }
      synchronized (wakeUps) {
        storedNext = Math.min(storedNext, first);
        rearm();
      }
      beats.ensureTicking();
      log.info("Took over {} parked runs of runbook '{}'", taken.size(), name);
    }
    return adopted;
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
      store.nudge(runId, s.now());
    } catch (RuntimeException e) {
      throw new dev.runbook4j.JournalException("The decision on run " + runId + " is recorded, but the engine"
          + " that holds the run could not be told to wake it (" + e.getMessage() + "); it sees the decision when"
          + " the run next wakes, or when its runner resumes it", e);
    }
  }
}
