package dev.runbook4j.dsl;

import dev.runbook4j.Durations;
import dev.runbook4j.RunContext;
import dev.runbook4j.StepContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apiguardian.api.API;

/**
 * What a script's closures see as {@code ctx} (and, unqualified, as their delegate): the run's
 * {@code params}, earlier steps' outputs, and in a step the step's id, attempt and idempotency key.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class DslContext {
  private static final ThreadLocal<DslContext> CURRENT = new ThreadLocal<>();

  private final RunContext<ScriptParams> run;
  private final StepContext<ScriptParams> step;

  DslContext(RunContext<ScriptParams> run) {
    this.run = run;
    this.step = run instanceof StepContext<ScriptParams> s ? s : null;
  }

  /** The context of the closure running on this thread, for {@code item} inside a forEach. */
  static DslContext current() {
    return CURRENT.get();
  }

  <T> T with(java.util.function.Supplier<T> body) {
    DslContext was = CURRENT.get();
    CURRENT.set(this);
    try {
      return body.get();
    } finally {
      if (was == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(was);
      }
    }
  }

  public ScriptParams getParams() {
    return run.params();
  }

  public String getRunId() {
    return run.runId();
  }

  public String getRunbook() {
    return run.runbook();
  }

  public String getRequester() {
    return run.requester();
  }

  public Clock getClock() {
    return run.clock();
  }

  public Instant getNow() {
    return run.clock().instant();
  }

  /** The output of the earlier step {@code name}. */
  public Object output(String name) {
    return run.output(name);
  }

  /** The current item inside a forEach. */
  public Object getItem() {
    return run.item(Object.class);
  }

  public String getStepId() {
    return stepOnly("stepId").stepId();
  }

  public int getAttempt() {
    return stepOnly("attempt").attempt();
  }

  public String getIdempotencyKey() {
    return stepOnly("idempotencyKey").idempotencyKey();
  }

  public boolean getCancelRequested() {
    return step != null && step.cancelRequested();
  }

  /** The fencing token under which the run holds {@code lock}, or -1. */
  public long fencingToken(String lock) {
    return stepOnly("fencingToken").fencingToken(lock).orElse(-1);
  }

  /** Sleeps on the engine's clock ({@code '30s'}, {@code 30.seconds}): virtual in tests. */
  public void sleep(Object duration) throws InterruptedException {
    Duration d = duration instanceof Duration x ? x : Durations.parse(String.valueOf(duration));
    stepOnly("sleep").sleep(d);
  }

  private StepContext<ScriptParams> stepOnly(String what) {
    if (step == null) {
      throw new IllegalStateException("ctx." + what + " is known only inside a step's action or compensate");
    }
    return step;
  }

  @Override
  public String toString() {
    return "ctx[run " + run.runId() + (step == null ? "" : ", step " + step.stepId()) + "]";
  }
}
