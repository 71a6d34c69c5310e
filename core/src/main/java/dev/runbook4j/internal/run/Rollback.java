package dev.runbook4j.internal.run;

import dev.runbook4j.CompensationFailedException;
import dev.runbook4j.OnCompensationFailure;
import dev.runbook4j.Reversibility;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunbookException;
import dev.runbook4j.Step;
import dev.runbook4j.spi.Invocation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollback: every step whose action started is compensated in reverse start order (a
 * read-only or irreversible one is passed over), each compensation with its own retries; one that
 * still fails does not stop the others. A rollback picked up from the journal skips what it had
 * dealt with already.
 */
final class Rollback {
  private static final Logger log = LoggerFactory.getLogger(Rollback.class);

  private final Run run;
  /** The errors of compensations that failed for good, by step: what the user sees as suppressed causes. */
  private final Map<String, Throwable> errors = new LinkedHashMap<>();

  Rollback(Run run) {
    this.run = run;
  }

  CompletableFuture<Void> run(Outcome cause) {
    List<String> order;
    boolean begun;
    synchronized (run) {
      order = new ArrayList<>(run.ledger().startOrder());
      begun = run.ledger().rollback() != null;
    }
    Collections.reverse(order);
    if (!begun) {
      run.record(new RunEvent.RollbackStarted(run.runId, cause.cause() == null ? cause.kind().name()
          : cause.cause().getMessage(), order, run.now()));
    }
    run.updateState();
    log.warn("Run {} ({}) rolling back {} started steps: {}", run.runId, run.runbook.name(), order.size(),
        cause.cause() == null ? cause.kind() : cause.cause().getMessage());
    CompletableFuture<Void> finished = new CompletableFuture<>();
    java.util.Optional<dev.runbook4j.Gate<Object>> gate = run.runbook.rollbackGate();
    if (gate.isEmpty()) {
      compensateFrom(order, 0, finished);
      return finished;
    }
    // the gate first: nothing is undone until it passes (or times out, when its onFailure says undo anyway)
    Frame frame = Frame.root(List.of()).group("rollback", List.of());
    run.gates.gate(gate.get(), frame).whenComplete((o, e) -> {
      if (e != null) {
        finished.completeExceptionally(e);
        return;
      }
      try {
        if (o.kind() == Outcome.Kind.HALTED) {
          finished.completeExceptionally(o.cause());
          return;
        }
        String id = frame.child(gate.get().name());
        String reason;
        synchronized (run) {
          RunLedger.GateRecord r = run.ledger().gateRecord(id);
          reason = r == null ? null : r.rejectedReason();
        }
        boolean byPerson = reason != null && reason.startsWith("rejected by ");
        if (!o.ok() && o.kind() != Outcome.Kind.CANCELLED
            && (byPerson || gate.get().onFailure() == dev.runbook4j.OnFailure.ABORT)) {
          declined = new dev.runbook4j.RunbookException("The rollback of run " + run.runId + " ("
              + run.runbook.name() + ") was not done: its gate '" + id + "' " + (byPerson ? "was " + reason
              : "rejected: " + reason) + "; nothing was undone, the run keeps its locks");
          finished.complete(null);
          return;
        }
        compensateFrom(order, 0, finished);  // passed, or timed out with onFailure ROLLBACK, or cancelled
      } catch (RuntimeException re) {
        finished.completeExceptionally(re);
      }
    });
    return finished;
  }

  /** Why the rollback was not done (its gate was rejected), or null. */
  volatile dev.runbook4j.RunbookException declined;

  private void compensateFrom(List<String> order, int from, CompletableFuture<Void> finished) {
    try {
      for (int i = from; i < order.size(); i++) {
        String id = order.get(i);
        int attempt;
        synchronized (run) {
          if (run.ledger().rollbackStopped() != null) {
            break;  // a compensation that failed stopped it (before the restart, or just now)
          }
          if (run.ledger().settledInRollback(id)) {
            if (run.ledger().compensationFailed().contains(id) && stops(id)) {
              stop(id, order, i);  // failed for good before the restart, with the stop not yet journaled
              break;
            }
            continue;  // done before the restart
          }
          attempt = run.ledger().compensationAttempts(id) + 1;
        }
        RunIndex.Located st = run.index.step(id);
        Reversibility r = st.step().reversibility();
        if (r != Reversibility.COMPENSATED) {
          run.record(new RunEvent.CompensationSkipped(run.runId, id, r, run.now()));
          continue;
        }
        CompletableFuture<Void> c = compensate(st, attempt);
        if (!c.isDone() || c.isCompletedExceptionally()) {
          int at = i;
          c.whenComplete((x, e) -> {
            if (e != null) {
              finished.completeExceptionally(e);
            } else {
              try {
                if (failedAndStops(id)) {
                  stop(id, order, at);
                  finished.complete(null);
                } else {
                  compensateFrom(order, at + 1, finished);
                }
              } catch (RuntimeException re) {
                finished.completeExceptionally(re);
              }
            }
          });
          return;
        }
        if (failedAndStops(id)) {
          stop(id, order, i);
          break;
        }
      }
      finished.complete(null);
    } catch (RuntimeException e) {
      finished.completeExceptionally(e);
    }
  }

  private boolean stops(String id) {
    RunIndex.Located st = run.index.step(id);
    return st != null && st.step().onCompensationFailure() == OnCompensationFailure.STOP;
  }

  private boolean failedAndStops(String id) {
    boolean failed;
    synchronized (run) {
      failed = run.ledger().compensationFailed().contains(id);
    }
    return failed && stops(id);
  }

  /** Journals that the rollback stops at {@code order[at]}: what follows it is not attempted. */
  private void stop(String id, List<String> order, int at) {
    List<String> rest = new ArrayList<>();
    synchronized (run) {
      for (String s : order.subList(at + 1, order.size())) {
        if (!run.ledger().settledInRollback(s)) {
          rest.add(s);
        }
      }
    }
    run.record(new RunEvent.RollbackStopped(run.runId, id, rest, run.now()));
    log.warn("Run {} ({}): the compensation of '{}' failed and stops the rollback; not attempted: {}", run.runId,
        run.runbook.name(), id, rest);
  }

  private CompletableFuture<Void> compensate(RunIndex.Located st, int n) {
    Step<Object, Object> s = st.step();
    String id = st.id();
    run.locks.checkFence(id);
    run.record(new RunEvent.CompensationStarted(run.runId, id, n, run.now()));
    Contexts.StepCtx ctx = new Contexts.StepCtx(run, st.frame(), id, n);
    Object value = run.index.outputOf(id);
    CompletableFuture<Object> stage = run.calls.attempt(s, Invocation.Kind.COMPENSATION, id, n, null, () -> {
      s.compensation().orElseThrow().compensate(ctx, value);
      return null;
    });
    if (stage.isDone()) {
      return afterCompensation(st, n, stage);
    }
    return run.calls.settled(id, stage).thenComposeAsync(x -> afterCompensation(st, n, stage), run.host.workers());
  }

  private CompletableFuture<Void> afterCompensation(RunIndex.Located st, int n, CompletableFuture<Object> stage) {
    Step<Object, Object> s = st.step();
    String id = st.id();
    try {
      stage.join();
      run.record(new RunEvent.CompensationSucceeded(run.runId, id, n, run.now()));
      return CompletableFuture.completedFuture(null);
    } catch (CompletionException | CancellationException e) {
      Throwable err = run.steps.timeoutAware(id, n, s.compensationTimeout().orElse(java.time.Duration.ZERO),
          Run.unwrap(e));
      boolean retry = n < s.compensationRetry().maxAttempts() && s.compensationRetry().retries(err);
      run.record(new RunEvent.CompensationFailed(run.runId, id, n, run.describe(err), retry, run.now()));
      log.warn("Run {} ({}): compensation of '{}' attempt {} failed: {}", run.runId, run.runbook.name(), id, n,
          run.describe(err));
      if (retry) {
        return run.waits.delay(s.compensationRetry().delayAfter(n, run.steps.seed(id) + 1))
            .thenCompose(x -> compensate(st, n + 1));
      }
      synchronized (run) {
        errors.put(id, new RunbookException("Compensation of step '" + id + "' of run " + run.runId + " failed after "
            + n + (n == 1 ? " attempt: " : " attempts: ") + run.describe(err), run.shown(err)));
      }
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The compensations that failed for good, aggregated: suppressed on the cause of a {@code ROLLBACK_FAILED} run. */
  CompensationFailedException failures() {
    List<Throwable> all = new ArrayList<>();
    synchronized (run) {
      for (String id : run.ledger().compensationFailed()) {
        Throwable t = errors.get(id);
        all.add(t != null ? t : new RunbookException("Compensation of step '" + id + "' of run " + run.runId
            + " failed before the restart: " + run.ledger().compensationError(id)));
      }
    }
    synchronized (run) {
      RunEvent.RollbackStopped stopped = run.ledger().rollbackStopped();
      return new CompensationFailedException(run.runbook.name(), run.runId, run.ledger().compensationFailed(),
          run.ledger().compensated(), stopped == null ? List.of() : stopped.notAttempted(), all);
    }
  }
}
