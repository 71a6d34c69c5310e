package dev.runbook4j.internal.run;

import dev.runbook4j.Reversibility;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookException;
import dev.runbook4j.Step;
import dev.runbook4j.StepFailedException;
import dev.runbook4j.StepTimeoutException;
import dev.runbook4j.spi.EventCodec;
import dev.runbook4j.spi.Invocation;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps: attempts (write-ahead: the intent is journaled before the action is called), retries with
 * their journaled next-attempt instant, outputs normalised as they are recorded, and a step the
 * ledger has a record of goes on from there (succeeded: skipped; failed for good: its failure;
 * failed with a retry due: the time left; started without an outcome: reconcile, or attempt again
 * with the same idempotency key).
 */
final class Steps {
  private static final Logger log = LoggerFactory.getLogger(Steps.class);

  /** The breach of an attempt outside any watch's scope: never set (nothing watches it). */
  private static final AtomicReference<Outcome> NO_BREACH = new AtomicReference<>();

  private final Run run;

  Steps(Run run) {
    this.run = run;
  }

  CompletableFuture<Outcome> step(Step<Object, Object> s, Frame frame) {
    String id = frame.child(s.name());
    if (frame.watches.isEmpty()) {
      return attempt(s, id, frame, 1, true);  // it looks the step up in the ledger itself
    }
    Snapshot r = snapshot(id);
    if (r != null) {
      return goOn(s, id, frame, r);
    }
    Outcome breach = run.waits.checkWatches(frame, id, "before step '" + id + "'");
    if (breach != null) {
      return Run.done(breach);
    }
    return attempt(s, id, frame, 1, false);
  }

  /** What the ledger says step {@code id} did, copied under the run's monitor; null when it never started. */
  private record Snapshot(int lastAttempt, boolean outcomeKnown, boolean succeeded, boolean failedForGood,
      boolean failureIgnored, String lastError, int nextAttempt, java.time.Instant nextAttemptAt,
      dev.runbook4j.OnFailure routed) {}

  private Snapshot snapshot(String id) {
    synchronized (run) {
      return snapshotHeld(id);
    }
  }

  /** Holds the run's monitor. */
  private Snapshot snapshotHeld(String id) {
    RunLedger.StepRecord r = run.ledger().stepRecord(id);
    return r == null ? null : new Snapshot(r.lastAttempt, r.outcomeKnown, r.succeeded, r.failedForGood,
        r.failureIgnored, r.lastError, r.nextAttempt, r.nextAttemptAt,
        r.routedAttempt == r.lastAttempt ? r.routed : null);
  }

  private CompletableFuture<Outcome> attempt(Step<Object, Object> s, String id, Frame frame, int n) {
    return attempt(s, id, frame, n, false);
  }

  /**
   * Attempt {@code n} of the step; {@code lookUp}: the step is first looked up in the ledger, under
   * the same hold of the run's monitor (a step reached with no watch in scope: one monitor entry
   * fewer on the common path), and goes on from its record when it has one.
   */
  private CompletableFuture<Outcome> attempt(Step<Object, Object> s, String id, Frame frame, int n, boolean lookUp) {
    Attempt entered = null;
    Snapshot known;
    synchronized (run) {
      known = lookUp ? snapshotHeld(id) : null;
      if (known == null) {
        if (run.cancelRequested()) {
          return Run.done(run.cancelledOutcome());
        }
        if (s.reversibility() != Reversibility.READ_ONLY && !run.locks.noneHeld()) {
          run.locks.checkFence(id);
        }
        // write-ahead: the intent is durable before the action is called
        run.recordHolding(new RunEvent.StepStarted(run.runId, id, n, run.idempotencyKey(id), run.now()));
        run.setActiveHolding(id, RunState.RUNNING);
        if (UserCode.isPlain(s)) {
          entered = run.calls.enter(id);
        }
      }
    }
    if (known != null) {
      return goOn(s, id, frame, known);  // outside the monitor: it may call the step's reconcile
    }
    Contexts.StepCtx ctx = new Contexts.StepCtx(run, frame, id, n);
    boolean watched = !frame.watches.isEmpty();
    if (entered != null && !watched) {
      // the common case, kept cheap: on this thread, no future, nothing watching
      Object out;
      try {
        out = run.calls.action(entered, s, id, n, ctx);
      } catch (Throwable t) {
        return afterFailure(s, id, frame, n, t, NO_BREACH);
      }
      return afterSuccess(s, id, frame, n, out, NO_BREACH);
    }
    // the watches in scope are checked while the action runs: a breach interrupts it, like a cancel
    AtomicReference<Outcome> breach = watched ? new AtomicReference<>() : NO_BREACH;
    CompletableFuture<Void> running = watched ? new CompletableFuture<>() : null;
    if (watched) {
      run.waits.watchWhile(frame, id, "while step '" + id + "' runs", running, b -> {
        breach.set(b);
        run.calls.interrupt(id);
      });
    }
    CompletableFuture<Object> stage = run.calls.attempt(s, Invocation.Kind.ACTION, id, n, entered,
        () -> s.action().execute(ctx));
    if (stage.isDone()) {
      if (running != null) {
        running.complete(null);
      }
      return afterAttempt(s, id, frame, n, stage, breach);
    }
    return run.calls.settled(id, stage).thenComposeAsync(x -> {
      if (running != null) {
        running.complete(null);
      }
      return afterAttempt(s, id, frame, n, stage, breach);
    }, run.host.workers());
  }

  private CompletableFuture<Outcome> afterAttempt(Step<Object, Object> s, String id, Frame frame, int n,
      CompletableFuture<Object> stage, AtomicReference<Outcome> breach) {
    Object out;
    try {
      out = stage.join();
    } catch (CompletionException | CancellationException e) {
      return afterFailure(s, id, frame, n, timeoutAware(s, id, n, Run.unwrap(e)), breach);
    }
    return afterSuccess(s, id, frame, n, out, breach);
  }

  /** The action of attempt {@code n} returned {@code out}: the step succeeded, unless its output cannot be journaled. */
  private CompletableFuture<Outcome> afterSuccess(Step<Object, Object> s, String id, Frame frame, int n, Object out,
      AtomicReference<Outcome> breach) {
    Object value;
    try {
      value = normalised(s, id, out);
    } catch (OutputException e) {
      return afterFailure(s, id, frame, n, e, breach);
    }
    synchronized (run) {
      run.recordHolding(new RunEvent.StepSucceeded(run.runId, id, n, value, run.now()));
      run.ledger().typed(id, value);  // normalised to the step's output type just now
      run.clearActiveHolding(id);
    }
    return breach.get() == null ? Run.DONE_OK : Run.done(breach.get());
  }

  /** Attempt {@code n} failed with {@code err}: a retry, or the step's failure. */
  private CompletableFuture<Outcome> afterFailure(Step<Object, Object> s, String id, Frame frame, int n, Throwable err,
      AtomicReference<Outcome> breach) {
    boolean last = breach.get() != null || n >= s.retry().maxAttempts() || !s.retry().retries(err);
    dev.runbook4j.FailureRule rule = last && breach.get() == null ? s.ruleFor(err) : null;
    dev.runbook4j.OnFailure route = rule != null ? rule.route() : s.onFailure();
    if (endsTheStep(route, last, breach)) {
      // at once, before anything waits for the run: the other branches start no new node
      frame.haltSiblings(breach.get() == null && route == dev.runbook4j.OnFailure.ABORT ? Outcome.Kind.ABORTED
          : Outcome.Kind.FAILED);
    }
    if (breach.get() != null) {
      run.record(new RunEvent.StepFailed(run.runId, id, n, run.describe(err), false, run.now()));
      run.clearActive(id);
      return Run.done(breach.get());
    }
    if (run.cancelRequested()) {
      run.record(new RunEvent.StepFailed(run.runId, id, n, run.describe(err), false, run.now()));
      run.clearActive(id);
      return Run.done(run.cancelledOutcome());
    }
    boolean retry = !last;
    if (rule != null) {
      run.record(new RunEvent.FailureRouted(run.runId, id, n, route, run.shown(rule.description()), run.now()));
    }
    run.record(new RunEvent.StepFailed(run.runId, id, n, run.describe(err), retry, run.now()));
    log.warn("Run {} ({}): step '{}' attempt {} failed: {}", run.runId, run.runbook.name(), id, n, run.describe(err));
    if (retry) {
      Duration delay = s.retry().delayAfter(n, seed(id));
      run.record(new RunEvent.StepRetryScheduled(run.runId, id, n + 1, run.now().plus(delay), run.now()));
      return retryAfter(s, id, frame, n + 1, delay);
    }
    run.clearActive(id);
    return Run.done(failedForGood(route, id, n, run.shown(err)));
  }

  /** Whether a failed attempt ({@code last}: its last) ends the step with a failure its scope must stop for. */
  private static boolean endsTheStep(dev.runbook4j.OnFailure route, boolean last, AtomicReference<Outcome> breach) {
    if (breach.get() != null) {
      return true;
    }
    return route != dev.runbook4j.OnFailure.CONTINUE && last;
  }

  /** An output that cannot be journaled: the attempt fails, as if the action had thrown. */
  static final class OutputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** {@code out} as the journal will give it back (see {@link EventCodec#normalise}). */
  private Object normalised(Step<Object, Object> s, String id, Object out) {
    try {
      // normalised, then scrubbed of the run's secrets: every later reader sees the masked value
      return sized(id, EventCodec.scrubbed(EventCodec.normalise(out, s.outputType()), run.scrubber));
    } catch (IllegalArgumentException e) {
      throw new OutputException("the output of step '" + id + "' (a " + out.getClass().getName() + ") cannot be"
          + " journaled as JSON: " + e.getMessage(), e);
    }
  }

  /** {@code value}, when its JSON is within the journal's limit per value. */
  private Object sized(String id, Object value) {
    int limit = run.host.maxValueBytes();
    if (value == null || value instanceof Number || value instanceof Boolean
        || (value instanceof String t && t.length() * 3L + 2 <= limit)) {
      return value;  // cheap: the common outputs are small
    }
    long bytes = EventCodec.json(value).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes > limit) {
      throw new OutputException("the output of step '" + id + "' is " + bytes + " bytes as JSON, more than the"
          + " journal takes per value (" + limit + " bytes: RunbookEngine.builder().maxValueBytes(...)); it was not"
          + " journaled", null);
    }
    return value;
  }

  private Outcome failedForGood(dev.runbook4j.OnFailure route, String id, int n, Throwable err) {
    return switch (route) {
      case CONTINUE -> {
        run.record(new RunEvent.StepFailureIgnored(run.runId, id, run.describe(err), run.now()));
        yield Outcome.OK;
      }
      case ABORT -> Outcome.aborted(new StepFailedException(run.runbook.name(), run.runId, id, n, -1, err));
      default -> Outcome.failed(new StepFailedException(run.runbook.name(), run.runId, id, n,
          run.ledger().startedCount(), err));
    };
  }

  /** Waits {@code delay} (the next attempt's journaled instant), then attempts {@code next}. */
  private CompletableFuture<Outcome> retryAfter(Step<Object, Object> s, String id, Frame frame, int next,
      Duration delay) {
    run.setActive(id, RunState.WAITING);
    return run.waits.pause(delay, frame, id, "during the retry delay of step '" + id + "'").thenCompose(o -> {
      if (o != null) {
        run.clearActive(id);
        return Run.done(o);  // cancelled, or a watch breached while it waited
      }
      if (frame.halted()) {
        run.clearActive(id);
        return Run.done(Outcome.STOPPED);  // a sibling branch failed meanwhile
      }
      return attempt(s, id, frame, next);
    });
  }

  /** Goes on from where the ledger says the step was, without calling what already happened. */
  private CompletableFuture<Outcome> goOn(Step<Object, Object> s, String id, Frame frame, Snapshot r) {
    if (r.succeeded()) {
      return Run.DONE_OK;
    }
    if (r.outcomeKnown() && r.failedForGood()) {
      RunbookException cause = new RunbookException(r.lastError());
      dev.runbook4j.OnFailure route = r.routed() != null ? r.routed() : s.onFailure();
      if (route == dev.runbook4j.OnFailure.CONTINUE && r.failureIgnored()) {
        return Run.DONE_OK;
      }
      return Run.done(failedForGood(route, id, r.lastAttempt(), cause));
    }
    if (r.outcomeKnown()) {
      // failed, another attempt due: wait only for what is left of the delay
      int next = r.nextAttempt() > 0 ? r.nextAttempt() : r.lastAttempt() + 1;
      Duration left = r.nextAttemptAt() == null ? Duration.ZERO : Duration.between(run.now(), r.nextAttemptAt());
      return retryAfter(s, id, frame, next, left.isNegative() ? Duration.ZERO : left);
    }
    // started, outcome lost in the restart: ask the target, else attempt again with the same key
    if (s.reconcile().isPresent()) {
      Contexts.StepCtx ctx = new Contexts.StepCtx(run, frame, id, r.lastAttempt());
      try {
        Object found = run.calls.call(Invocation.Kind.RECONCILE, id, null, r.lastAttempt(), true,
            () -> s.reconcile().get().reconcile(ctx));
        Optional<?> present = UserCode.result(Optional.class, found, "reconcile of step '" + id + "'");
        if (present != null && present.isPresent()) {
          Object out = normalised(s, id, present.get());
          run.record(new RunEvent.StepReconciled(run.runId, id, r.lastAttempt(), out, run.now()));
          return Run.DONE_OK;
        }
      } catch (Exception e) {
        log.warn("Run {} ({}): reconcile of '{}' failed ({}); attempting the step again", run.runId,
            run.runbook.name(), id, run.describe(e));
      }
    }
    return attempt(s, id, frame, r.lastAttempt() + 1);
  }

  Throwable timeoutAware(Step<Object, Object> s, String id, int n, Throwable err) {
    return timeoutAware(id, n, s.timeout().orElse(Duration.ZERO), err);
  }

  /** {@code err}, or for a timeout the call interrupted and a {@link StepTimeoutException} after {@code limit}. */
  Throwable timeoutAware(String id, int n, Duration limit, Throwable err) {
    if (err instanceof TimeoutException) {
      run.calls.interrupt(id);
      return new StepTimeoutException(id, n, limit);
    }
    return err;
  }

  long seed(String stepId) {
    return (long) run.runId.hashCode() * 31 + stepId.hashCode();
  }
}
