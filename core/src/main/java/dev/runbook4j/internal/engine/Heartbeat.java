package dev.runbook4j.internal.engine;

import dev.runbook4j.Runbook;
import dev.runbook4j.internal.run.Run;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import dev.runbook4j.RunListener;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's beat: it renews this runner's lease (one row), delivers lock grants made by other
 * runners, lets the runs in memory learn decisions other processes wrote (within a second), sweeps
 * the parked runs made due, takes over the orphaned runs of the runbooks it knows; and it rebuilds,
 * with growing delays, a run stopped by a storage error once the journal takes writes again.
 */
final class Heartbeat {
  private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
  /** The first retry after a storage error; each next one waits twice as long, up to {@link #RETRY_MAX}. */
  static final Duration RETRY_FIRST = Duration.ofSeconds(1);
  static final Duration RETRY_MAX = Duration.ofSeconds(30);

  private final Services s;
  private final RunRegistry registry;
  private final ParkingLot parking;
  /** Resumes a run this runner took over (the engine's {@code resume}). */
  private final BiConsumer<String, Runbook<?>> takeOver;
  private final AtomicBoolean ticking = new AtomicBoolean();
  /**
   * How many times in a row each run stopped on a storage error: a rebuild only reads, so it works
   * on a full disk, and its successor stops again at its first write — the delays grow across them.
   */
  private final Map<String, Integer> storageTries = new ConcurrentHashMap<>();

  Heartbeat(Services s, RunRegistry registry, ParkingLot parking, BiConsumer<String, Runbook<?>> takeOver) {
    this.s = s;
    this.registry = registry;
    this.parking = parking;
    this.takeOver = takeOver;
  }

  /** A run object stopped on a storage error: rebuild it from the journal when the journal works again. */
  void onStorageError(Run run) {
    pausedAgain(run, run.storageError());
  }

  /** The run's successor recorded an event: the journal takes writes again. */
  void recovered(Run run) {
    if (storageTries.remove(run.runId) != null) {
      log.info("Run {} continues after a storage error", run.runId);
      s.tellRecovered(run);
    }
  }

  /** Counts one more stop of {@code paused}, tells the listeners, and tries again after a growing delay. */
  private void pausedAgain(Run paused, RuntimeException e) {
    int tries = storageTries.merge(paused.runId, 1, Integer::sum);
    Duration delay = RETRY_FIRST.multipliedBy(1L << Math.min(tries - 1, 10));
    delay = delay.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : delay;
    String problem = paused.shown(e).getMessage();
    if (tries > 1) {
      log.warn("Run {} is still paused on a storage error ({}); next try in {}", paused.runId, problem, delay);
    }
    s.storagePaused(paused, new RunListener.StoragePause(paused.runId, problem, s.now().plus(delay), tries));
    s.scheduler.schedule(delay, () -> {
      if (s.closed) {
        return;  // a closed engine (one with a caller's pool, which close leaves running) stops recovering
      }
      try {
        s.workers.execute(() -> recover(paused));
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        log.warn("Run {} stays paused on a storage error: the engine is closed", paused.runId);
      }
    });
  }

  private void recover(Run paused) {
    if (registry.lookup(paused.runId) != paused) {
      return;
    }
    Run successor;
    try {
      Rebuilds.Read read = Rebuilds.read(s.journal, paused.runId);
      if (read.ledger().started() == null) {
        storageTries.remove(paused.runId);
        log.warn("Run {} was never recorded; start it again", paused.runId);  // nothing happened: nothing goes on
        return;
      }
      if (read.problem() != null) {
        storageTries.remove(paused.runId);
        log.error("Run {} does not verify after a storage error and stays paused: {}", paused.runId, read.problem());
        return;
      }
      successor = new Run(s, paused.runId, paused.runbook, paused.params, paused.requester, paused.plan,
          read.ledger(), paused.done, Run.Purpose.RESUMED);
      successor.afterStorageError();
      registry.put(successor);
      registry.launch(successor, false, this);
    } catch (dev.runbook4j.UnknownRunException e) {
      storageTries.remove(paused.runId);
      log.warn("Run {} was never recorded; start it again", paused.runId);  // nothing happened: nothing goes on
    } catch (RuntimeException e) {
      registry.put(paused);  // still the run's current object until a successor starts
      pausedAgain(paused, e);
    }
  }

  /** Starts the heartbeat if there is anything to renew, poll or take over. */
  void ensureTicking() {
    if (s.closed || (s.leases == null && s.locks instanceof InMemoryLockManager)) {
      return;
    }
    if (ticking.compareAndSet(false, true)) {
      // with a shared journal, at least every second: decisions from other processes are seen within it
      s.scheduler.schedule(s.leases != null && s.heartbeat.compareTo(DECISIONS_SEEN_WITHIN) > 0 ? DECISIONS_SEEN_WITHIN
          : s.heartbeat, this::tick);
    }
  }

  /**
   * The heartbeat: renews this runner's leases, delivers lock grants made by other runners, and
   * takes over the expired runs of the runbooks it knows. It goes on while the engine has runs or
   * takes over runs.
   */
  private void tick() {
    if (s.closed) {
      return;
    }
    try {
      s.workers.execute(() -> {
        try {
          beat();
        } catch (RuntimeException e) {
          log.warn("Heartbeat of runner {} failed: {}; next try in {}", s.leases == null ? "-" : s.leases.runner(),
              e.getMessage(), s.heartbeat);
        } finally {
          ticking.set(false);
          if (!s.closed && (registry.anyInFlight() || parking.any()
              || (s.leases != null && s.takeOver))) {
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

  /** When the last full beat (lease, locks, takeovers) was; guarded by the heartbeat (one beat at a time). */
  private java.time.Instant renewed;

  private void beat() {
    java.time.Instant now = s.now();
    // every tick (at least every second with a shared journal): what other processes decided on this
    // engine's runs, in memory and parked in the journal; at the heartbeat's own pace: the lease, lock
    // grants, takeovers
    boolean full = renewed == null || !now.isBefore(renewed.plus(s.heartbeat));
    if (full) {
      renewed = now;
    }
    boolean renew = full && s.leases != null;
    if (renew && parking.entries().isEmpty()) {
      s.leases.extend(now);  // nothing in memory to compare with what the journal holds: no need to read it back
    } else if (renew) {
      Map<String, Long> owned = s.leases.renew(now);
      parking.entries().forEach((runId, p) -> {
        Long events = owned.get(runId);
        if (events != null && events > p.version) {
          parking.wake(runId, p);  // another process recorded a decision on it
        }
      });
    }
    if (s.leases != null) {
      catchUpLiveRuns();
    }
    if (parking.anyStored()) {
      parking.sweep();  // runs another process decided on were made due then (nudged); nothing else is read
    }
    if (!full) {
      return;
    }
    s.locks.poll();
    if (s.leases == null || !s.takeOver) {
      return;
    }
    for (String runId : s.leases.takeExpired(s.catalog.keySet(), 32, now)) {
      Run known = registry.lookup(runId);
      if ((known != null && !known.done.isDone()) || parking.holds(runId)) {
        continue;
      }
      try {
        dev.runbook4j.internal.run.RunLedger h = dev.runbook4j.internal.run.RunLedger.fold(runId, s.journal.read(runId));
        Runbook<?> runbook = h.started() == null ? null : s.catalog.get(h.started().runbook());
        if (runbook == null) {
          s.leases.release(runId);
          continue;
        }
        registry.forgetEnded(runId);
        takeOver.accept(runId, runbook);
        log.info("Runner {} took over run {} ({}) from a runner whose lease expired", s.leases.runner(), runId,
            runbook.name());
      } catch (RuntimeException e) {
        log.error("Runner {} could not take over run {}: {}", s.leases.runner(), runId, e.getMessage());
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
    for (Run r : registry.inFlight()) {
      if (!r.done.isDone() && !r.parked() && r.storageError() == null) {
        live.add(r);
      }
    }
    if (live.isEmpty()) {
      return;
    }
    Map<String, Long> lengths = s.journal.lengths(live.stream().map(r -> r.runId).toList());
    for (Run r : live) {
      Long n = lengths.get(r.runId);
      if (n != null && n > r.journaled()) {
        try {
          r.catchUp();
        } catch (RuntimeException e) {
          log.warn("Run {} could not read what other processes decided on it: {}", r.runId, e.getMessage());
        }
      }
    }
  }
}
