package dev.runbook4j.internal.run;

import dev.runbook4j.Health;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.Wait;
import dev.runbook4j.WaitTimeoutException;
import dev.runbook4j.Watch;
import dev.runbook4j.WatchBreachedException;
import dev.runbook4j.spi.Cancellable;
import dev.runbook4j.spi.Invocation;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Waits (sleep, waitUntil, bake), every pause the run takes (a retry delay, a gate's re-check),
 * parking, and the watches: a watch in scope is checked on its interval the whole time the run
 * waits — in a sleep, a bake, a waitUntil, a retry delay, a gate's re-check, an approval, a lock
 * wait — and while an action runs; a breach ends the wait (or interrupts the action) and the run
 * rolls back. Deadlines are absolute instants in the journal: a rebuilt run waits only for what is
 * left, and checks its watches first.
 */
final class Waits {
  private final Run run;
  /** Pauses in progress: completed with false by a cancel. */
  private final Set<CompletableFuture<Boolean>> pauses = ConcurrentHashMap.newKeySet();
  /** The stretch each wait sleeps now, by its id: what a skip ends. */
  private final java.util.Map<String, CompletableFuture<Boolean>> stretches = new ConcurrentHashMap<>();
  /** Whether this object checked its watches since it was built (a rebuilt run checks them first). */
  private final AtomicBoolean checkedSinceBuilt = new AtomicBoolean();

  Waits(Run run) {
    this.run = run;
  }

  CompletableFuture<Outcome> waitNode(Wait<Object> w, Frame frame) {
    String id = frame.child(w.name());
    Instant deadline;
    synchronized (run) {
      RunLedger.WaitRecord r = run.ledger().waitRecord(id);
      if (r != null && r.finished) {
        return Run.DONE_OK;
      }
      if (r != null && r.skippedBy != null) {
        return Run.done(finishWait(id));  // skipped before the restart
      }
      deadline = r != null ? r.deadline : null;  // absolute: only what is left is waited for
    }
    if (deadline == null) {
      Duration d = w.duration();
      if (d == null) {
        String subject = (w.kind() == Wait.Kind.BAKE ? "bake" : "sleep") + " '" + id + "'";
        try {
          Contexts.RunCtx ctx = new Contexts.RunCtx(run, frame);
          d = w.durationValue().orElseThrow().value(ctx);
        } catch (Exception e) {
          return Run.done(Outcome.failed(new dev.runbook4j.RunbookException("The duration (" + w.durationText()
              + ") of " + subject + " in run " + run.runId + " (" + run.runbook.name() + ") could not be had: "
              + run.describe(e) + "; rolling back", run.shown(e))));
        }
        if (d == null || d.isNegative() || d.isZero()) {
          return Run.done(Outcome.failed(new dev.runbook4j.RunbookException(subject + " of run " + run.runId + " ("
              + run.runbook.name() + "): duration (" + w.durationText() + ") must be positive, was "
              + (d == null ? "nothing" : dev.runbook4j.Durations.format(d)) + "; rolling back")));
        }
      }
      deadline = run.now().plus(d);
      run.record(new RunEvent.WaitStarted(run.runId, id, w.kind(), deadline, run.now()));
    }
    run.setActive(id, RunState.WAITING);
    if (w.kind() == Wait.Kind.WAIT_UNTIL) {
      return poll(w, id, frame, deadline, 1);
    }
    String where = "during " + (w.kind() == Wait.Kind.BAKE ? "bake" : "sleep") + " '" + id + "'";
    return pauseUntil(deadline, frame, id, where).thenApply(o -> o == null ? finishWait(id) : stopped(id, o));
  }

  private Outcome finishWait(String id) {
    run.record(new RunEvent.WaitFinished(run.runId, id, run.now()));
    run.clearActive(id);
    return Outcome.OK;
  }

  private Outcome stopped(String id, Outcome o) {
    run.clearActive(id);
    return o;
  }

  private CompletableFuture<Outcome> poll(Wait<Object> w, String id, Frame frame, Instant deadline, int n) {
    if (skipped(id)) {
      return Run.done(finishWait(id));
    }
    boolean holds;
    try {
      Contexts.RunCtx ctx = new Contexts.RunCtx(run, frame);
      holds = Boolean.TRUE.equals(UserCode.result(Boolean.class, run.calls.call(Invocation.Kind.WAIT_CONDITION, id,
          null, n, false, () -> w.condition().orElseThrow().test(ctx)), "condition of wait '" + id + "'"));
    } catch (Exception e) {
      holds = false;
    }
    if (holds) {
      return Run.done(finishWait(id));
    }
    Outcome breach = checkWatches(frame, id, "during waitUntil '" + id + "'");
    if (breach != null) {
      return Run.done(stopped(id, breach));
    }
    Instant now = run.now();
    if (!now.isBefore(deadline)) {
      return Run.done(stopped(id, Outcome.failed(new WaitTimeoutException(run.runbook.name(), run.runId, id,
          w.duration(), n))));
    }
    Duration left = Duration.between(now, deadline);
    return sleep(w.every().compareTo(left) < 0 ? w.every() : left, false).thenCompose(elapsed ->
        elapsed ? poll(w, id, frame, deadline, n + 1) : Run.done(stopped(id, run.cancelledOutcome())));
  }

  /**
   * Waits {@code d} with the watches of {@code frame} checked on their interval throughout; completes
   * with null when the time is up, or with the outcome that ended it: a cancel, a breach.
   */
  CompletableFuture<Outcome> pause(Duration d, Frame frame, String nodeId, String where) {
    return pauseUntil(run.now().plus(d.isNegative() ? Duration.ZERO : d), frame, nodeId, where);
  }

  private CompletableFuture<Outcome> pauseUntil(Instant end, Frame frame, String nodeId, String where) {
    Instant limit = run.deadline();
    if (limit != null && end.isAfter(limit)) {
      // the run's timeout comes first: the pause ends there, and the run rolls back
      return pauseUntilItself(limit, frame, nodeId, where).thenApply(o -> o != null ? o : run.timedOut(where));
    }
    return pauseUntilItself(end, frame, nodeId, where);
  }

  private CompletableFuture<Outcome> pauseUntilItself(Instant end, Frame frame, String nodeId, String where) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    Outcome breach = checkFirstIfRebuilt(frame, nodeId, where);
    if (breach != null) {
      result.complete(breach);
      return result;
    }
    slice(end, frame, nodeId, where, result);
    return result;
  }

  /**
   * A run rebuilt in a wait (after parking or a restart) checks its watches before it waits again:
   * the breach, or null. Once per object; nothing when no watch is in scope.
   */
  Outcome checkFirstIfRebuilt(Frame frame, String nodeId, String where) {
    if (frame.watches.isEmpty() || !run.rebuilt() || checkedSinceBuilt.get()) {
      return null;
    }
    return checkWatches(frame, nodeId, where);
  }

  /** One stretch of a pause: to its end, or to the next watch check if that comes first. */
  private void slice(Instant end, Frame frame, String nodeId, String where, CompletableFuture<Outcome> result) {
    Duration left = Duration.between(run.now(), end);
    if (left.isNegative() || left.isZero()) {
      result.complete(null);  // its time is up (a rebuilt run whose wait ended meanwhile)
      return;
    }
    Duration every = every(frame);
    Duration stretch = every == null || left.compareTo(every) <= 0 ? left : every;
    if (skipped(nodeId)) {
      result.complete(null);  // a person ended it
      return;
    }
    CompletableFuture<Boolean> sleeping = sleep(stretch, false);
    stretches.put(nodeId, sleeping);
    sleeping.whenComplete((elapsed, e) -> {
      stretches.remove(nodeId, sleeping);
      if (e != null) {
        result.completeExceptionally(e);
        return;
      }
      if (!elapsed) {
        result.complete(run.cancelledOutcome());
        return;
      }
      if (skipped(nodeId)) {
        result.complete(null);
        return;
      }
      if (every != null) {
        Outcome breach = checkWatches(frame, nodeId, where);
        if (breach != null) {
          result.complete(breach);
          return;
        }
      }
      if (!run.now().isBefore(end)) {
        result.complete(null);
      } else {
        slice(end, frame, nodeId, where, result);
      }
    });
  }

  /** Whether a person ended wait {@code id} before its time (journaled). */
  private boolean skipped(String id) {
    synchronized (run) {
      RunLedger.WaitRecord r = run.ledger().waitRecord(id);
      return r != null && r.skippedBy != null;
    }
  }

  /** Records {@code user}'s skip of wait {@code id} (a decision: journaled if the journal did not move), and ends it. */
  RunStatus skip(String id, String user, String reason) {
    synchronized (run) {
      run.checkNotParked();
      RunLedger l = run.ledger();
      Wait<?> w = RunLedger.Rules.find(run.runbook.nodes(), id, Wait.class);
      RunLedger.Rules.checkSkip(w, id, run.runId, run.runbook.name(), user, run.requester,
          run.state().isTerminal() || l.rollback() != null || l.cancel() != null, l.waitStarted(id), l.waitOver(id));
      run.cancel.recordDecision(java.util.List.of(new RunEvent.WaitSkipped(run.runId, id, user,
          reason == null ? "" : reason, run.now())));
      ended(id);
    }
    return run.status();
  }

  /** Wait {@code id} was skipped (here or, learnt from the journal, elsewhere): its stretch ends now. */
  void ended(String id) {
    CompletableFuture<Boolean> p = stretches.get(id);
    if (p != null) {
      run.onWorker(() -> p.complete(true));
    }
  }

  /** The shortest interval of the watches in scope, or null when there is none. */
  private static Duration every(Frame frame) {
    Duration min = null;
    for (Watch<Object> w : frame.watches) {
      if (min == null || w.every().compareTo(min) < 0) {
        min = w.every();
      }
    }
    return min;
  }

  /**
   * Checks the watches of {@code frame} on their interval until {@code until} completes (an approval
   * decided, a lock granted, an action returned); on a breach, {@code onBreach} hears the outcome and
   * the checks stop. Nothing happens when no watch is in scope.
   */
  void watchWhile(Frame frame, String nodeId, String where, CompletableFuture<?> until,
      java.util.function.Consumer<Outcome> onBreach) {
    Duration every = every(frame);
    if (every == null || until.isDone()) {
      return;
    }
    Outcome first = checkFirstIfRebuilt(frame, nodeId, where);
    if (first != null) {
      onBreach.accept(first);
      return;
    }
    Cancellable timer = run.host.scheduler().schedule(every, () -> run.onWorker(() -> {
      if (until.isDone() || run.parked()) {
        return;
      }
      Outcome breach = checkWatches(frame, nodeId, where);
      if (breach != null) {
        onBreach.accept(breach);
      } else {
        watchWhile(frame, nodeId, where, until, onBreach);
      }
    }));
    until.whenComplete((x, e) -> timer.cancel());
  }

  /** Checks the watches in scope, in order; the first that is not healthy is journaled and fails the scope. */
  Outcome checkWatches(Frame frame, String at, String where) {
    checkedSinceBuilt.set(true);
    for (Watch<Object> w : frame.watches) {
      Health h;
      try {
        Contexts.RunCtx ctx = new Contexts.RunCtx(run, frame);
        h = UserCode.result(Health.class, run.calls.call(Invocation.Kind.WATCH_CHECK, w.name(), at, 0, false,
            () -> w.check().check(ctx)), "check of watch '" + w.name() + "'");
      } catch (Exception e) {
        h = Health.breached("its check failed: " + run.describe(e));
      }
      if (h == null) {
        h = Health.breached("its check returned null");
      }
      if (!h.isHealthy()) {
        run.record(new RunEvent.WatchBreached(run.runId, w.name(), h.reason(), run.now()));
        return Outcome.failed(new WatchBreachedException(run.runbook.name(), run.runId, w.name(), where,
            run.shown(h.reason())));
      }
    }
    return null;
  }

  /**
   * Completes with true after {@code d}, or with false as soon as the run is cancelled. It parks the
   * run instead when all the run does now is this wait, for at least the engine's threshold (then it
   * never completes: this object is dropped, and the run is rebuilt from the journal at its time).
   */
  CompletableFuture<Boolean> sleep(Duration d, boolean approval) {
    CompletableFuture<Boolean> p = new CompletableFuture<>();
    if (tryPark(d, approval)) {
      return p;
    }
    pauses.add(p);
    if (run.cancelRequested()) {
      pauses.remove(p);
      p.complete(false);
      return p;
    }
    Cancellable timer = run.host.scheduler().schedule(d, () -> run.onWorker(() -> p.complete(true)));
    p.whenComplete((r, e) -> {
      pauses.remove(p);
      if (!Boolean.TRUE.equals(r)) {
        timer.cancel();
      }
    });
    return p;
  }

  /** Adds {@code p} to the pauses a cancel ends (completes with false): a lock wait. */
  void hold(CompletableFuture<Boolean> p) {
    pauses.add(p);
  }

  void release(CompletableFuture<Boolean> p) {
    pauses.remove(p);
  }

  /** Ends every pause in progress: the run was cancelled. */
  void cancelled() {
    for (CompletableFuture<Boolean> p : pauses) {
      run.onWorker(() -> p.complete(false));
    }
  }

  /**
   * Parks the run if all it does now is wait {@code d} (at least the engine's threshold) at one
   * wait or one approval, with no user code running: this object stops here and the engine keeps
   * at most a small entry, and rebuilds the run from the journal when the time comes or a decision
   * arrives. Everything the run did is in the journal already (write-ahead), so a parked run is what
   * a crashed run is, minus the crash.
   */
  boolean tryPark(Duration d, boolean approval) {
    Duration threshold = run.host.parkAfter();
    if (!run.mayPark || threshold == null || d.compareTo(threshold) < 0 || !run.markParked(approval)) {
      return false;
    }
    run.host.park(run, approval, d.equals(ChronoUnit.FOREVER.getDuration()) ? null : run.now().plus(d));
    run.signalled();
    return true;
  }

  /** A delay that cancel does not cut short: for the rollback's own retries. */
  CompletableFuture<Void> delay(Duration d) {
    CompletableFuture<Void> p = new CompletableFuture<>();
    run.host.scheduler().schedule(d, () -> run.onWorker(() -> p.complete(null)));
    return p;
  }
}
