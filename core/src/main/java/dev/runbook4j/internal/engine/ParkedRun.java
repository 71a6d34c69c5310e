package dev.runbook4j.internal.engine;

import dev.runbook4j.RunResult;
import dev.runbook4j.Runbook;
import java.util.concurrent.CompletableFuture;

/**
 * What is left in memory of a parked run: this entry in the {@link ParkingLot} (and in its wake-up queue
 * when it has a time to wake). No timer per run, no callbacks: about 140 bytes with its run id.
 */
final class ParkedRun {
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
