package dev.runbook4j.internal.engine;

import dev.runbook4j.LockInfo;
import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunListener;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunPlace;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.RunbookException;
import dev.runbook4j.RunnerInfo;
import dev.runbook4j.Subscription;
import dev.runbook4j.UnknownRunException;
import dev.runbook4j.internal.run.Run;
import dev.runbook4j.internal.run.RunLedger;
import dev.runbook4j.spi.EngineSettings;
import dev.runbook4j.spi.EventCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one implementation of {@link RunbookEngine}: its public surface, over the engine's parts —
 * the {@link Services} a run needs (its {@code RunHost}), the {@link RunRegistry} (where each run
 * is), the {@link ParkingLot} (runs that only wait), the {@link Heartbeat} (leases, decisions from
 * other processes, takeovers, recovery), {@link Rebuilds} (a run rebuilt from its journal),
 * {@link Decisions} (decisions on runs not held here) and {@link Handles}.
 */
public final class DefaultRunbookEngine implements RunbookEngine {
  private static final Logger log = LoggerFactory.getLogger(DefaultRunbookEngine.class);

  private final Services s;
  private final RunRegistry registry;
  private final ParkingLot parking;
  private final Heartbeat beats;
  private final Handles handles;

  /** An engine with {@code settings}, whose journal and policy adapter are given (the factory fills the defaults). */
  public DefaultRunbookEngine(EngineSettings settings) {
    this.s = new Services(settings);
    this.registry = new RunRegistry(s);
    this.parking = new ParkingLot(s, registry);
    this.beats = new Heartbeat(s, registry, parking, (runId, runbook) -> resume(runId, runbook));
    this.handles = new Handles(s, registry, parking);
    s.wire(registry, parking, beats);
    registry.wire(parking);
    parking.wire(beats);
    if (s.takeOver && s.leases != null) {
      beats.ensureTicking();
    }
  }

  @Override
  public <P> RunResult run(Runbook<P> runbook, P params) {
    return start(runbook, params, RunOptions.defaults(), !s.scheduler.drivenByAwait()).await();
  }

  @Override
  public <P> RunResult run(Runbook<P> runbook, P params, RunOptions options) {
    return start(runbook, params, options, !s.scheduler.drivenByAwait()).await();
  }

  @Override
  public <P> RunHandle start(Runbook<P> runbook, P params, RunOptions options) {
    return start(runbook, params, options, false);
  }

  /** A runbook that sends to a channel this engine has no notifier for is refused before it starts. */
  private void checkChannels(Runbook<?> runbook) {
    List<String> problems = new java.util.ArrayList<>();
    for (String ch : runbook.channels()) {
      if (s.notifier(ch) == null) {
        problems.add("it sends messages to channel '" + ch + "', and this engine has no notifier of that name (it has: "
            + (s.channels().isEmpty() ? "none" : String.join(", ", s.channels())) + "); add"
            + " RunbookEngine.builder().notifier(\"" + ch + "\", ...)");
      }
    }
    if (!problems.isEmpty()) {
      throw new dev.runbook4j.RunbookDefinitionException("A run of runbook '" + runbook.name() + "'", problems);
    }
  }

  private static String newRunId() {
    String hex = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    return hex.length() == 16 ? hex : "0".repeat(16 - hex.length()) + hex;
  }

  private <P> RunHandle start(Runbook<P> runbook, P params, RunOptions options, boolean onCallerThread) {
    Plan plan = Plan.of(runbook, params);
    checkChannels(runbook);
    String runId = options.runId().orElseGet(DefaultRunbookEngine::newRunId);
    Run run;
    synchronized (registry) {
      Run existing = registry.lookup(runId);
      if (existing != null) {
        Rebuilds.sameRun(runId, existing.runbook.name(), existing.plan.hash(), runbook.name(), plan.hash());
        return handles.live(existing.runId, existing.done);
      }
      // a run id the caller chose may name a run started before (here before a restart, or elsewhere);
      // a fresh random one cannot, and is not looked up
      List<RunEvent> past = options.runId().isPresent() ? s.journal.read(runId) : List.of();
      if (!past.isEmpty()) {
        return startedBefore(runId, runbook, params, plan, past);
      }
      run = Run.fresh(s, runId, runbook, params, options.requester(), plan);
      registry.put(run);
    }
    try {
      registry.launch(run, onCallerThread, beats);
      return handles.live(run.runId, run.done);
    } catch (dev.runbook4j.JournalException e) {
      List<RunEvent> past = options.runId().isPresent() ? s.journal.read(runId) : List.of();
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
    Rebuilds.sameRun(runId, first == null ? "?" : first.runbook(), first == null ? "?" : first.planHash(), runbook.name(),
        plan.hash());
    try {
      return resume(runId, runbook, params);
    } catch (dev.runbook4j.RunDrivenElsewhereException e) {
      log.info("Run {} ({}) is driven by {}; this engine follows it", runId, runbook.name(), e.driver().describe());
      return handles.following(runId);
    }
  }

  @Override
  public <P> RunHandle resume(String runId, Runbook<P> runbook) {
    return resume(runId, runbook, null);
  }

  @Override
  public <P> RunHandle resume(String runId, Runbook<P> runbook, P given) {
    checkChannels(runbook);
    Run run;
    synchronized (registry) {
      Run existing = registry.lookup(runId);
      if (existing != null) {
        return handles.live(existing.runId, existing.done);
      }
      ParkedRun p = parking.entry(runId);
      if (p != null) {
        return handles.live(runId, p.done);
      }
      Optional<dev.runbook4j.spi.ParkedRuns.Parked> parkedElsewhere = Optional.empty();
      if (parking.store != null) {
        Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = parking.store.find(runId);
        if (rec.isPresent() && rec.get().engine().equals(parking.engineId)) {
          return handles.live(runId, new CompletableFuture<>());
        }
        parkedElsewhere = rec;
      }
      RunLedger history = Rebuilds.verified(s.journal, runId);
      if (!history.started().runbook().equals(runbook.name())) {
        throw new RunbookDefinitionException("Resuming run '" + runId + "'", List.of("it is a run of runbook '"
            + history.started().runbook() + "', not of '" + runbook.name() + "'"));
      }
      if (history.finished() != null) {
        return handles.fromJournal(runId);
      }
      if (s.leases != null) {
        String owner = s.leases.claim(runId, s.now());
        if (owner != null) {
          dev.runbook4j.RunnerInfo driver = s.leases.runnerInfo(owner)
              .orElse(new dev.runbook4j.RunnerInfo(owner, "", 0, null, null));
          throw new dev.runbook4j.RunDrivenElsewhereException(runId, runbook.name(), driver, "it is not resumed"
              + " here. It goes on there; it can be resumed elsewhere once that runner has stopped"
              + (driver.aliveUntil() == null ? "" : " (or its lease, renewed until " + driver.aliveUntil()
              + ", lapses)"));
        }
      }
      if (parkedElsewhere.isPresent()) {
        parking.store.take(runId);  // parked by an engine that is gone (its lease is this runner's now): resumed here
      }
      run = Rebuilds.run(s, history, runbook, given, new CompletableFuture<>(), Run.Purpose.RESUMED);
      registry.put(run);
    }
    registry.launch(run, false, beats);
    return handles.live(run.runId, run.done);
  }

  @Override
  public List<RunHandle> resumeAll(java.util.function.Function<String, Runbook<?>> runbooks) {
    List<RunHandle> handles = new ArrayList<>();
    List<String> adoptedIds = new ArrayList<>();
    java.util.Set<String> adopted = parking.store == null ? java.util.Set.of() : parking.adopt(runbooks, adoptedIds);
    for (String id : adoptedIds) {
      handles.add(this.handles.live(id, new CompletableFuture<>()));
    }
    for (String runId : s.journal.unfinishedRunIds()) {
      if (adopted.contains(runId) || registry.lookup(runId) != null || parking.holds(runId)) {
        continue;
      }
      RunLedger history = RunLedger.fold(runId, s.journal.read(runId));
      if (history.started() == null || history.finished() != null || parking.storedHere(runId)) {
        continue;
      }
      Runbook<?> runbook = runbooks.apply(history.started().runbook());
      if (runbook == null) {
        log.warn("Run {} of runbook '{}' is not resumed: no runbook of that name was given", runId,
            history.started().runbook());
        continue;
      }
      try {
        handles.add(resume(runId, runbook));
      } catch (RuntimeException e) {
        log.error("Run {} of runbook '{}' is not resumed: {}", runId, history.started().runbook(), e.getMessage());
      }
    }
    return handles;
  }

  @Override
  public RunHandle handle(String runId) {
    Run run = registry.lookup(runId);
    if (run != null) {
      return handles.live(run.runId, run.done);
    }
    ParkedRun p = parking.entry(runId);
    if (p != null) {
      return handles.live(runId, p.done);
    }
    if (parking.storedHere(runId) || parking.inTransit(runId)) {
      return handles.live(runId, new CompletableFuture<>());
    }
    Rebuilds.status(s.journal, runId);
    return handles.fromJournal(runId);
  }

  /** The run object to decide on: a parked run is rebuilt first (it stays in memory until it waits again). */
  private Run run(String runId) {
    while (true) {
      Run run = registry.lookup(runId);
      if (run != null && !run.parked()) {
        return run;
      }
      ParkedRun p = parking.entry(runId);
      if (p != null && p.problem != null) {
        throw new dev.runbook4j.JournalException(p.problem, null);
      }
      if (p != null) {
        Run woken = parking.unpark(runId, p, true);
        if (woken != null) {
          if (p.approval) {
            // the rebuilt run reaches its approval again (on this thread, or on workers inside a parallel)
            s.scheduler.await(CompletableFuture.anyOf(woken.signal(), woken.done));
          }
          return woken;
        }
        continue;
      }
      if (run == null && parking.store != null && !parking.inTransit(runId)) {
        Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = parking.store.find(runId);
        Run woken = rec.isPresent() ? parking.takeStored(runId, true) : null;
        if (woken != null) {
          if (rec.get().approval()) {
            s.scheduler.await(CompletableFuture.anyOf(woken.signal(), woken.done));
          }
          return woken;
        }
      }
      if (run != null) {
        run.signal().join();  // it is parking right now: its signal completes once it has
        continue;
      }
      if (parking.inTransit(runId)) {
        parking.awaitSettled(runId);  // being taken out of the store right now
        continue;
      }
      if (registry.lookup(runId) != null || parking.holds(runId)) {
        continue;  // it moved between the looks (a run is always in one place or the other)
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
  public <P> String acceptPlan(String runId, Runbook<P> runbook, P params, String by) {
    while (true) {
      RunPlace place = where(runId);
      if (place.place() == RunPlace.Place.ENDED) {
        throw new RunbookException("Run " + runId + " has ended; there is no plan to accept");
      }
      if (place.place() != RunPlace.Place.ORPHANED) {
        throw new RunbookException("Run " + runId + " is " + (place.place() == RunPlace.Place.DRIVEN_HERE
            ? "driven by this engine" : "held by " + place.runner().map(RunnerInfo::describe).orElse("another runner"))
            + "; a changed plan is accepted only for a run no live runner holds (detached, or its runner stopped)");
      }
      dev.runbook4j.spi.Journal.Verified read = s.journal.readVerified(runId);
      if (read.problem().isPresent() && !read.events().isEmpty()) {
        throw new dev.runbook4j.JournalException("Run " + runId + " does not verify: " + read.problem().get()
            + "; no plan was accepted", null);
      }
      List<RunEvent> events = read.events();
      RunLedger h = RunLedger.fold(runId, events);
      if (h.started() == null) {
        throw new UnknownRunException(runId);
      }
      if (!h.started().runbook().equals(runbook.name())) {
        throw new RunbookException("Run " + runId + " is a run of runbook '" + h.started().runbook() + "', not of '"
            + runbook.name() + "'; no plan was accepted");
      }
      P p = params != null ? params : EventCodec.params(h.started().params(), runbook.parameterType());
      String hash = Plan.of(runbook, p).hash();
      if (hash.equals(h.planHash())) {
        return hash;  // nothing changed
      }
      if (s.journal.appendIf(runId, events.size(),
          List.of(new RunEvent.PlanAccepted(runId, h.planHash(), hash, by, s.now())))) {
        log.warn("Run {} ({}): plan {} accepted by {} in place of {}; approvals given before no longer count", runId,
            runbook.name(), hash.substring(0, 12), by, h.planHash().substring(0, 12));
        return hash;
      }
    }
  }

  @Override
  public RunStatus approve(String runId, String gateId, String user, String comment, String planHash) {
    return approve(runId, gateId, user, comment, planHash, null);
  }

  @Override
  public RunStatus approve(String runId, String gateId, String user, String comment, String planHash,
      String choice) {
    while (true) {
      if (registry.held(runId)) {
        try {
          return decide(runId, r -> r.approve(gateId, user, comment, planHash, choice));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      RunStatus decided = Decisions.decide(s, runId, gateId, user, true, comment, planHash, choice);
      if (decided != null) {
        parking.nudge(runId);
        return decided;
      }
    }
  }

  @Override
  public RunStatus skipWait(String runId, String waitId, String user, String reason) {
    while (true) {
      if (registry.held(runId)) {
        try {
          return decide(runId, r -> r.skipWait(waitId, user, reason));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      RunStatus decided = Decisions.skipWait(s, runId, waitId, user, reason);
      if (decided != null) {
        parking.nudge(runId);
        return decided;
      }
    }
  }

  @Override
  public RunStatus reject(String runId, String gateId, String user, String reason) {
    while (true) {
      if (registry.held(runId)) {
        try {
          return decide(runId, r -> r.reject(gateId, user, reason));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      RunStatus decided = Decisions.decide(s, runId, gateId, user, false, reason, null, null);
      if (decided != null) {
        parking.nudge(runId);
        return decided;
      }
    }
  }

  @Override
  public RunStatus cancel(String runId, String by, String reason) {
    while (true) {
      if (registry.held(runId)) {
        try {
          return decide(runId, r -> r.cancel(by, reason));
        } catch (NotHeldHere gone) {
          continue;
        }
      }
      // driven elsewhere, parked in the journal or orphaned: the cancel is a write that holds only if
      // nothing was written since it was read; the run's driver sees it within a second (or when it
      // wakes, or when it is resumed)
      List<RunEvent> events = s.journal.read(runId);
      if (events.isEmpty()) {
        throw new UnknownRunException(runId);
      }
      RunLedger h = RunLedger.fold(runId, events);
      if (h.finished() != null || h.cancel() != null) {
        return Rebuilds.status(s.journal, runId);  // ended, or cancelled already; during a rollback the cancel is recorded, and changes nothing
      }
      if (s.journal.appendIf(runId, events.size(), List.of(new RunEvent.CancelRequested(runId, by,
          reason == null ? "" : reason, s.now())))) {
        parking.nudge(runId);
        return Rebuilds.status(s.journal, runId);
      }
    }
  }

  @Override
  public RunStatus status(String runId) {
    Run run = registry.lookup(runId);
    if (run != null) {
      return run.status();
    }
    return Rebuilds.status(s.journal, runId);
  }

  @Override
  public List<RunEvent> history(String runId) {
    List<RunEvent> events = s.journal.read(runId);
    if (events.isEmpty() && registry.lookup(runId) == null) {
      throw new UnknownRunException(runId);
    }
    return events;
  }

  @Override
  public List<String> runs() {
    return s.journal.runIds();
  }

  @Override
  public Subscription onEvent(RunListener listener) {
    s.addListener(listener);
    return () -> s.removeListener(listener);
  }

  @Override
  public Load load() {
    return new Load(registry.live(), parking.count());
  }


  @Override
  public List<dev.runbook4j.LockInfo> locks() {
    return s.locks.list();
  }

  @Override
  public String releaseLock(String key, String by, String reason) {
    String holder = s.locks.holder(key);
    if (holder == null) {
      throw new IllegalStateException("Lock '" + key + "' is not held by any run");
    }
    RunStatus held = status(holder);
    if (!held.state().isTerminal()) {
      throw new IllegalStateException("Lock '" + key + "' is held by run " + holder + " (" + held.runbook() + "), which is "
          + held.state() + "; a lock is released by hand only after its run has ended (cancel the run instead)");
    }
    // journaled first: a release nobody can account for never happens
    s.journal.append(new RunEvent.LockForceReleased(holder, key, by, reason == null ? "" : reason, s.now()));
    s.locks.forceRelease(key);
    log.warn("Lock '{}' of run {} ({}, {}) released by {}: {}", key, holder, held.runbook(), held.state(), by, reason);
    return holder;
  }

  @Override
  public void close() {
    parking.close();  // parked runs stay in the journal; the next engine on it resumes them
    s.close();
  }

  @Override
  public RunPlace where(String runId) {
    return registry.where(runId);
  }
}
