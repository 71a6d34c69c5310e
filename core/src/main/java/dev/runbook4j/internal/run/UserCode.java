package dev.runbook4j.internal.run;

import dev.runbook4j.Step;
import dev.runbook4j.spi.Invocation;
import dev.runbook4j.spi.PolicyContext;
import dev.runbook4j.spi.StepPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * The one path into user code: actions, compensations, reconcile hooks, gate checks, wait
 * conditions and watch checks are called here, with the run and node in the MDC, through the
 * engine's interceptors, and tracked while they run so that a timeout or a cancel can interrupt
 * them. An attempt with a timeout, a breaker or a policy runs on another worker under the policy
 * adapter; the rest runs on the calling thread.
 */
final class UserCode {
  private final Run run;
  /**
   * Calls of user code in progress, for timeouts and cancel to interrupt; guarded by {@link #lock}
   * (not the run's monitor: a call that returns never waits for the run, which a journal write may
   * hold).
   */
  private final List<Attempt> inflight = new ArrayList<>(4);
  private final Object lock = new Object();

  UserCode(Run run) {
    this.run = run;
  }

  /** Whether attempts of {@code s} need no policy adapter: no timeout, breaker or user policy. */
  static boolean isPlain(Step<Object, Object> s) {
    return s.timeout().isEmpty() && s.circuitBreaker().isEmpty() && s.policies().isEmpty();
  }

  /** Whether compensation attempts of {@code s} need no policy adapter. */
  static boolean isPlainCompensation(Step<Object, Object> s) {
    return s.compensationTimeout().isEmpty() && s.circuitBreaker().isEmpty() && s.policies().isEmpty();
  }

  /**
   * Calls {@code body} for node {@code nodeId} on this thread, through the interceptors, with the
   * run in the MDC (and the step, for {@code step}); tracked so that a cancel interrupts it.
   */
  Object call(Invocation.Kind kind, String nodeId, String during, int n, boolean step, Callable<Object> body)
      throws Exception {
    return call(enter(nodeId), kind, nodeId, during, n, step, body);
  }

  /**
   * Tracks a call of node {@code id} about to begin on this thread (a step's caller holds the run
   * meanwhile, so that a cancel recorded before it interrupts it, and one recorded after it sees it).
   */
  Attempt enter(String id) {
    Attempt a = new Attempt(id);
    synchronized (lock) {
      inflight.add(a);
      a.enter();
    }
    return a;
  }

  /** Calls {@code body} tracked as {@code a} (entered by {@link #enter}), and untracks it. */
  Object call(Attempt a, Invocation.Kind kind, String nodeId, String during, int n, boolean step,
      Callable<Object> body) throws Exception {
    inMdc(nodeId, step);
    try {
      return intercept(kind, nodeId, during, n, body);
    } finally {
      leave(a, step);
    }
  }

  /** Puts the run, and the step when {@code step}, in this thread's MDC while user code runs. */
  private void inMdc(String nodeId, boolean step) {
    run.host.inUserCode().incrementAndGet();
    MDC.put("runId", run.runId);
    if (step) {
      MDC.put("step", nodeId);
    }
  }

  /** After a call tracked as {@code a}: the MDC as it was, and the call untracked. */
  private void leave(Attempt a, boolean step) {
    run.host.inUserCode().decrementAndGet();
    if (step) {
      MDC.remove("step");
    }
    MDC.remove("runId");
    synchronized (lock) {
      a.exit();
      untrack(a);
    }
  }

  /**
   * The action of plain step {@code s}, attempt {@code n}, on this thread, tracked as {@code a}
   * (entered by {@link #enter}): {@link #call} without a callable to build when no interceptor is
   * set (the common path of a step).
   */
  Object action(Attempt a, Step<Object, Object> s, String id, int n, Contexts.StepCtx ctx) throws Exception {
    if (run.host.interceptor() != null) {
      return call(a, Invocation.Kind.ACTION, id, null, n, true, () -> s.action().execute(ctx));
    }
    inMdc(id, true);
    try {
      return s.action().execute(ctx);
    } finally {
      leave(a, true);
    }
  }

  private Object intercept(Invocation.Kind kind, String nodeId, String during, int n, Callable<Object> body)
      throws Exception {
    return run.host.interceptor() == null ? body.call() : run.host.interceptor().intercept(new Invocation(kind,
        run.runId, run.runbook.name(), nodeId, during, n, run.now(), body));
  }

  /** {@code value}, checked to be a {@code type} (an interceptor may return anything). */
  static <T> T result(Class<T> type, Object value, String what) {
    if (value != null && !type.isInstance(value)) {
      throw new IllegalStateException("An interceptor returned a " + value.getClass().getName() + " for the " + what
          + "; it must return a " + type.getSimpleName());
    }
    return type.cast(value);
  }

  /**
   * One attempt of a step's action or compensation: on this thread when the step has no timeout,
   * breaker or policy (the common, cheap case); else on another worker under the policy adapter.
   * The future completes with the call's result or failure (a {@link TimeoutException} when it timed
   * out: the call is interrupted). {@code entered}: the call, tracked already (plain steps), or null.
   */
  CompletableFuture<Object> attempt(Step<Object, Object> s, Invocation.Kind kind, String id, int n,
      Attempt entered, Callable<Object> body) {
    boolean compensation = kind == Invocation.Kind.COMPENSATION;
    if (compensation ? isPlainCompensation(s) : isPlain(s)) {
      try {
        Attempt a = entered != null ? entered : enter(id);
        return CompletableFuture.completedFuture(call(a, kind, id, null, n, true, body));
      } catch (Throwable t) {
        return CompletableFuture.failedFuture(t);
      }
    }
    Supplier<CompletionStage<Object>> attempt = () -> async(kind, id, n, body);
    PolicyContext pc = new PolicyContext(id, n, run.host.clock(), run.host.timers());
    List<StepPolicy> policies = s.policies();
    for (int i = policies.size() - 1; i >= 0; i--) {
      StepPolicy p = policies.get(i);
      Supplier<CompletionStage<Object>> inner = attempt;
      attempt = () -> p.apply(inner, pc);
    }
    try {
      return run.host.policies().execute((compensation ? s.compensationTimeout() : s.timeout()).orElse(null),
              s.circuitBreaker().orElse(null), attempt, pc)
          .toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Completes when {@code stage} does, whichever way. A call that timed out is interrupted right
   * here, on the thread that completes the stage (the timer's), before the run goes on on a worker:
   * the hanging call may hold the only worker there is.
   */
  CompletableFuture<Void> settled(String id, CompletableFuture<Object> stage) {
    return stage.handle((r, e) -> {
      if (e != null && Run.unwrap(e) instanceof TimeoutException) {
        interrupt(id);
      }
      return null;
    });
  }

  private CompletableFuture<Object> async(Invocation.Kind kind, String id, int n, Callable<Object> body) {
    CompletableFuture<Object> cf = new CompletableFuture<>();
    Attempt a = new Attempt(id);
    synchronized (lock) {
      inflight.add(a);
    }
    try {
      run.host.workers().execute(() -> {
        boolean entered;
        synchronized (lock) {
          entered = a.enter();
          if (!entered) {
            untrack(a);
          }
        }
        if (!entered) {
          cf.completeExceptionally(new InterruptedException("attempt of '" + id + "' was interrupted before it began"));
          return;
        }
        inMdc(id, true);
        try {
          cf.complete(intercept(kind, id, null, n, body));
        } catch (Throwable t) {
          cf.completeExceptionally(t);
        } finally {
          leave(a, true);
        }
      });
    } catch (RejectedExecutionException e) {
      synchronized (lock) {
        untrack(a);
      }
      cf.completeExceptionally(e);
    }
    return cf;
  }

  /** Holds {@link #lock}. */
  private void untrack(Attempt a) {
    for (int i = inflight.size() - 1; i >= 0; i--) {
      if (inflight.get(i) == a) {
        inflight.remove(i);
        return;
      }
    }
  }

  /** Interrupts the calls of node {@code id} in progress. */
  void interrupt(String id) {
    synchronized (lock) {
      for (Attempt a : inflight) {
        if (a.stepId.equals(id)) {
          a.interrupt();
        }
      }
    }
  }

  /** Interrupts every call in progress (a cancel). */
  void interruptAll() {
    synchronized (lock) {
      inflight.forEach(Attempt::interrupt);
    }
  }

  /** Whether user code is running now. */
  boolean busy() {
    synchronized (lock) {
      return !inflight.isEmpty();
    }
  }
}
