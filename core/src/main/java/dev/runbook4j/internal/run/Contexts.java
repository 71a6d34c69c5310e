package dev.runbook4j.internal.run;

import dev.runbook4j.RunContext;
import dev.runbook4j.StepContext;
import dev.runbook4j.StepKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** The contexts handed to user code. */
final class Contexts {
  private Contexts() {}

  static class RunCtx implements RunContext<Object> {
    final Run run;
    final Frame frame;

    RunCtx(Run run, Frame frame) {
      this.run = run;
      this.frame = frame;
    }

    @Override
    public String runId() {
      return run.runId;
    }

    @Override
    public String runbook() {
      return run.runbook.name();
    }

    @Override
    public Object params() {
      return run.params;
    }

    @Override
    public String requester() {
      return run.requester;
    }

    @Override
    public Clock clock() {
      return run.host.clock();
    }

    @Override
    public <T> T output(StepKey<T> key) {
      Object o = output(key.name());
      if (o != null && !key.type().isInstance(o)) {
        throw new IllegalStateException("Output of step '" + key.name() + "' is a " + o.getClass().getSimpleName()
            + ", not a " + key.type().getSimpleName());
      }
      return key.type().cast(o);
    }

    @Override
    public Object output(String stepName) {
      String id = run.index.resolveStep(stepName, frame);
      RunLedger.Output o = run.index.output(id);
      if (o == null) {
        if (run.started(id)) {
          return null;  // it started and produced no output (failed, or its outcome is unknown)
        }
        throw new IllegalStateException("Step '" + id + "' of run " + run.runId + " has not run, so it has no"
            + " output; read outputs of earlier steps only");
      }
      return o.value();
    }

    @Override
    public Optional<Object> findOutput(String stepName) {
      String id = run.index.resolveStep(stepName, frame);
      RunLedger.Output o = run.index.output(id);
      return o == null ? Optional.empty() : Optional.ofNullable(o.value());
    }

    @Override
    public <I> I item(Class<I> type) {
      if (frame.item == null) {
        throw new IllegalStateException("item(...) was called outside a forEach in run " + run.runId);
      }
      return type.cast(frame.item);
    }
  }

  static final class StepCtx extends RunCtx implements StepContext<Object> {
    private final String stepId;
    private final int attempt;

    StepCtx(Run run, Frame frame, String stepId, int attempt) {
      super(run, frame);
      this.stepId = stepId;
      this.attempt = attempt;
    }

    @Override
    public String send(String channel, String text) throws Exception {
      java.util.Map<String, String> details = run.notifications.details();
      details.put("step", stepId);
      String shown = run.shown(text == null ? "" : text);
      run.notifications.send("notify", channel, shown, details, run.idempotencyKey(stepId) + ":" + channel);
      return shown;
    }

    @Override
    public String stepId() {
      return stepId;
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public String idempotencyKey() {
      return run.idempotencyKey(stepId);
    }

    @Override
    public java.util.OptionalLong fencingToken(String lockKey) {
      return run.locks.fencingToken(lockKey);
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
      run.host.scheduler().sleep(duration);
    }

    @Override
    public boolean cancelRequested() {
      return run.cancelRequested();
    }
  }
}
