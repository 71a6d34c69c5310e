package dev.runbook4j.internal.engine;

import dev.runbook4j.RunHandle;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.internal.run.Run;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Handles on runs: {@link Live} on a run this engine holds (it follows the run to whichever object
 * ends it, through parking and rebuilding), {@link FromJournal} on an ended run known only from the
 * journal, {@link Following} on a run another live runner drives (read from the journal, never
 * driven here).
 */
final class Handles {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Handles.class);

  final Services s;
  final RunRegistry registry;
  final ParkingLot parking;

  Handles(Services s, RunRegistry registry, ParkingLot parking) {
    this.s = s;
    this.registry = registry;
    this.parking = parking;
  }

  RunHandle live(String runId, CompletableFuture<RunResult> done) {
    return new Live(this, runId, done);
  }

  RunHandle fromJournal(String runId) {
    return new FromJournal(this, runId);
  }

  RunHandle following(String runId) {
    return new Following(this, runId);
  }

  /** How often a handle on a run driven elsewhere reads the journal. */
  private static final java.time.Duration FOLLOW_EVERY = java.time.Duration.ofMillis(250);

  /**
   * A handle on a run another live runner drives: it reads the journal (never drives the run) and
   * ends when the run ends, when it parks at an approval, or when its runner is gone (then the run
   * is orphaned, and {@code await} returns its state so that the caller can resume it).
   */
  static final class Following implements RunHandle {
    private final Handles hs;
    private final String runId;
    private final CompletableFuture<RunResult> ended = new CompletableFuture<>();
    /** Whether a poll of the journal is scheduled (one per handle, until the run ends). */
    private final java.util.concurrent.atomic.AtomicBoolean polling = new java.util.concurrent.atomic.AtomicBoolean();

    Following(Handles hs, String runId) {
      this.hs = hs;
      this.runId = runId;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public RunStatus status() {
      return Rebuilds.status(hs.s.journal, runId);
    }

    private boolean drivenElsewhere() {
      return hs.s.leases != null && hs.s.leases.driver(runId, hs.s.now()).map(d -> !d.id().equals(hs.s.leases.runner()))
          .orElse(false);
    }

    @Override
    public RunResult await() {
      while (true) {
        RunResult r = new FromJournal(hs, runId).await();
        if (r.state().isTerminal()) {
          ended.complete(r);
          return r;
        }
        if (r.state() == RunState.AWAITING_APPROVAL || !drivenElsewhere()) {
          return r;
        }
        CompletableFuture<Void> tick = new CompletableFuture<>();
        hs.s.scheduler.schedule(FOLLOW_EVERY, () -> tick.complete(null));
        hs.s.scheduler.await(tick);
      }
    }

    @Override
    public CompletableFuture<RunResult> result() {
      if (!ended.isDone() && polling.compareAndSet(false, true)) {
        RunResult r = new FromJournal(hs, runId).await();
        if (r.state().isTerminal()) {
          ended.complete(r);
        } else {
          poll();
        }
      }
      return ended.thenApply(r -> r);
    }

    private void poll() {
      hs.s.scheduler.schedule(FOLLOW_EVERY, () -> {
        if (ended.isDone() || hs.s.closed) {
          return;
        }
        try {
          RunResult r = new FromJournal(hs, runId).await();
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
  static final class FromJournal implements RunHandle {
    private final Handles hs;
    private final String runId;

    FromJournal(Handles hs, String runId) {
      this.hs = hs;
      this.runId = runId;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public RunStatus status() {
      return Rebuilds.status(hs.s.journal, runId);
    }

    @Override
    public RunResult await() {
      RunStatus s = Rebuilds.status(hs.s.journal, runId);
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

  static final class Live implements RunHandle {
    private final Handles hs;
    private final String runId;
    /** Completes when the run ends, whichever object of it ends it. */
    private final CompletableFuture<RunResult> done;
    /**
     * The live object last seen, so a run that stopped here (lease lost, storage error) or ended and
     * left the cache stays readable; cleared while the run is parked, so handles do not hold parked runs.
     */
    private volatile Run last;

    Live(Handles hs, String runId, CompletableFuture<RunResult> done) {
      this.hs = hs;
      this.runId = runId;
      this.done = done;
      this.last = hs.registry.lookup(runId);
    }

    /** The run's live object now, or null while it is parked (or known only from the journal). */
    private Run live() {
      Run run = hs.registry.lookup(runId);
      if (run != null && !run.parked()) {
        last = run;
        return run;
      }
      Run seen = last;
      if (run != null || hs.parking.holds(runId) || (seen != null && seen.parked())) {
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
      return run != null ? run.status() : Rebuilds.status(hs.s.journal, runId);
    }

    @Override
    public RunResult await() {
      while (true) {
        if (done.isDone()) {
          return done.join();
        }
        Run current = hs.registry.lookup(runId);
        if (current != null && current.done.isDone()) {
          return current.done.join();  // ended by an object rebuilt from the store
        }
        Run run = live();
        if (run == null) {
          ParkedRun p = hs.parking.entry(runId);
          if (p == null) {
            Run moving = hs.registry.lookup(runId);
            if (moving != null) {
              if (moving.parked()) {
                moving.signal().join();  // parking right now: its signal completes once it has
              }
              continue;
            }
            if (hs.parking.holds(runId)) {
              continue;  // it parked between the two looks (a run is always in one place or the other)
            }
            if (hs.parking.waking(runId)) {
              hs.parking.awaitSettled(runId);  // being taken out of the store right now
              continue;
            }
            if (hs.parking.store != null) {
              CompletableFuture<Void> woken = hs.parking.rebuiltSignal(runId);
              Optional<dev.runbook4j.spi.ParkedRuns.Parked> rec = hs.parking.store.find(runId);
              if (rec.isPresent() && rec.get().engine().equals(hs.parking.engineId)) {
                if (rec.get().approval()) {
                  return new FromJournal(hs, runId).await();  // awaiting approval, parked in the journal
                }
                hs.s.scheduler.await(woken);
                continue;
              }
              hs.parking.dropRebuiltSignal(runId, woken);
            }
            // a run of this engine that has not ended is in memory or parked (or in transit between the
            // two); one in neither is no longer held here, and is read from the journal
            if (hs.parking.inTransit(runId)) {
              hs.parking.awaitSettled(runId);
              continue;
            }
            if (hs.registry.lookup(runId) != null || hs.parking.holds(runId)) {
              continue;  // it landed here meanwhile (woken from the store)
            }
            return new FromJournal(hs, runId).await();
          }
          if (p.problem != null) {
            throw new dev.runbook4j.JournalException(p.problem, null);
          }
          if (p.approval) {
            return new FromJournal(hs, runId).await();  // awaiting approval, parked
          }
          hs.s.scheduler.await(CompletableFuture.anyOf(done, p.woken()));
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
        hs.s.scheduler.await(CompletableFuture.anyOf(signal, done));
      }
    }

    @Override
    public CompletableFuture<RunResult> result() {
      if (hs.parking.store == null) {
        return done.thenApply(r -> r);
      }
      // the run may park in the journal and end on an object rebuilt from it, with a future of its own
      CompletableFuture<RunResult> ends = hs.registry.resultOf(runId);
      done.thenAccept(ends::complete);
      Run current = hs.registry.lookup(runId);
      if (current != null && current.done.isDone()) {
        ends.complete(current.done.join());
      } else if (current == null && !hs.registry.held(runId)) {
        RunResult fromJournal = new FromJournal(hs, runId).await();
        if (fromJournal.state().isTerminal()) {
          ends.complete(fromJournal);
        }
      }
      if (ends.isDone()) {
        hs.registry.resultHandedOut(runId, ends);  // ended already: nothing will complete it again
      }
      return ends.thenApply(r -> r);
    }

    @Override
    public String toString() {
      return "RunHandle[" + runId + "]";
    }
  }
}
