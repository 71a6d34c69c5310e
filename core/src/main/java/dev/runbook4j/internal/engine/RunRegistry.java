package dev.runbook4j.internal.engine;

import dev.runbook4j.RunPlace;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunStatus;
import dev.runbook4j.RunnerInfo;
import dev.runbook4j.internal.run.Run;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where every run this engine knows is, and the one class that says so ({@link #where}): driven
 * here (its object in {@link #runs}), parked (the parking lot's), driven by another live runner,
 * orphaned, or ended (the last few kept in {@link #recent} for handles; older ones are read from the
 * journal). A run object leaves the registry as it parks, ends, or is taken over elsewhere.
 *
 * <table>
 *   <caption>Where a run can be, and what moves it</caption>
 *   <tr><th>Place</th><th>Held by</th><th>Moves to</th></tr>
 *   <tr><td>driven here</td><td>{@link #runs} (this runner's claim)</td><td>parked: {@link ParkingLot#park};
 *       ended: {@link #ended}; gone: {@link #onLeaseLost}, a storage error ({@link Heartbeat})</td></tr>
 *   <tr><td>parked</td><td>the {@link ParkingLot} (an entry, or a row in the journal)</td><td>driven here when due
 *       or decided: {@link ParkingLot#unpark}</td></tr>
 *   <tr><td>driven elsewhere</td><td>another runner's claim</td><td>orphaned when it lapses</td></tr>
 *   <tr><td>orphaned</td><td>nobody</td><td>driven here by a resume or a takeover ({@link Heartbeat})</td></tr>
 *   <tr><td>ended</td><td>{@link #recent}, then the journal</td><td>—</td></tr>
 * </table>
 */
final class RunRegistry {
  private static final int RECENT_RUNS = 256;

  private final Services services;
  private ParkingLot parking;
  /** Runs in flight (and runs stopped by a journal failure). */
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  /** The most recently ended runs, for handles and status; older ones are read from the journal. */
  private final Map<String, Run> recent = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Run> eldest) {
      return size() > RECENT_RUNS;
    }
  });
  /** Futures handed out by {@code Handle.result()}: completed when the run ends, whichever object ends it. */
  private final Map<String, CompletableFuture<RunResult>> results = new ConcurrentHashMap<>();

  RunRegistry(Services services) {
    this.services = services;
  }

  void wire(ParkingLot parking) {
    this.parking = parking;
  }

  /** The run's object in memory (in flight, or ended lately), or null. */
  Run lookup(String runId) {
    Run run = runs.get(runId);
    return run != null ? run : recent.get(runId);
  }

  Iterable<Run> inFlight() {
    return runs.values();
  }

  boolean anyInFlight() {
    return !runs.isEmpty();
  }

  void put(Run run) {
    runs.put(run.runId, run);
  }

  void remove(Run run) {
    runs.remove(run.runId, run);
  }

  void forgetEnded(String runId) {
    recent.remove(runId);
  }

  /**
   * Starts a run registered here: when it ends it moves to the recent runs; a start that fails (its
   * first journal write) leaves nothing behind.
   */
  void launch(Run run, boolean onCallerThread, Heartbeat beats) {
    beats.ensureTicking();
    try {
      run.start(onCallerThread);
    } catch (RuntimeException e) {
      runs.remove(run.runId, run);
      throw e;
    }
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

  /** The run was taken over by another runner: this engine forgets it (its handle reports why). */
  void onLeaseLost(Run run) {
    recent.put(run.runId, run);
    runs.remove(run.runId, run);
  }

  /** The future a handle's {@code result()} returns for a run that may end on another object. */
  CompletableFuture<RunResult> resultOf(String runId) {
    return results.computeIfAbsent(runId, k -> new CompletableFuture<>());
  }

  void resultHandedOut(String runId, CompletableFuture<RunResult> ends) {
    results.remove(runId, ends);
  }

  /**
   * Whether this engine holds the run, in memory or parked. A run is never in neither place but
   * while a sweep or a wake-up takes it out of the store: then this waits until it lands.
   */
  boolean held(String runId) {
    if (lookup(runId) != null || parking.holds(runId)) {
      return true;
    }
    parking.awaitSettled(runId);
    return lookup(runId) != null || parking.holds(runId) || parking.storedHere(runId);
  }

  /** Where the run is now (see the table above). */
  RunPlace where(String runId) {
    Run run = lookup(runId);
    Optional<RunnerInfo> me = services.leases == null ? Optional.empty()
        : services.leases.runnerInfo(services.leases.runner());
    if (run != null && !run.done.isDone() && !run.parked() && run.storageError() == null) {
      return new RunPlace(runId, RunPlace.Place.DRIVEN_HERE, me);
    }
    if (parking.holds(runId) || parking.storedHere(runId)) {
      return new RunPlace(runId, RunPlace.Place.PARKED, me);
    }
    RunStatus s = Rebuilds.status(services.journal, runId);
    if (s.state().isTerminal()) {
      return new RunPlace(runId, RunPlace.Place.ENDED, Optional.empty());
    }
    Optional<RunnerInfo> driver = services.leases == null ? Optional.empty()
        : services.leases.driver(runId, services.now());
    if (driver.isPresent() && !driver.get().id().equals(services.leases.runner())) {
      return new RunPlace(runId, parking.parkedInJournal(runId) ? RunPlace.Place.PARKED
          : RunPlace.Place.DRIVEN_ELSEWHERE, driver);
    }
    return new RunPlace(runId, RunPlace.Place.ORPHANED, Optional.empty());
  }

  /** How many runs are in memory (not ended, not parked). */
  int live() {
    int live = 0;
    for (Run r : runs.values()) {
      if (!r.done.isDone() && !r.parked()) {
        live++;
      }
    }
    return live;
  }
}
