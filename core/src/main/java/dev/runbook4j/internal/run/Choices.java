package dev.runbook4j.internal.run;

import dev.runbook4j.Choice;
import dev.runbook4j.Group;
import dev.runbook4j.Node;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunbookException;
import dev.runbook4j.Succeed;
import dev.runbook4j.When;
import dev.runbook4j.spi.Invocation;
import java.util.concurrent.CompletableFuture;

/**
 * Conditions ({@code when}), choices ({@code choose}) and early ends ({@code succeed}): each is
 * decided once, when the run reaches it, and journaled before anything it decides runs; a rebuilt
 * run reads the decision back instead of asking again.
 */
final class Choices {
  private final Run run;

  Choices(Run run) {
    this.run = run;
  }

  /**
   * Whether node {@code n} (with condition {@code w}), at {@code id}, runs: its journaled decision,
   * or the condition asked now and journaled. Null when it runs; else the outcome the node ends with
   * (OK when skipped, a failure when the condition threw).
   */
  @SuppressWarnings("unchecked")
  Outcome skipOrRun(Node n, When<?> w, String id, Frame frame) {
    Boolean held;
    synchronized (run) {
      held = run.ledger().condition(id);
    }
    if (held == null) {
      try {
        held = ask((When<Object>) w, id, frame);
      } catch (Exception e) {
        return conditionFailed(w, "'" + id + "'", e);
      }
      run.record(held ? new RunEvent.ConditionHeld(run.runId, id, w.description(), run.now())
          : new RunEvent.NodeSkipped(run.runId, id, "its condition (" + w.description() + ") did not hold",
              run.now()));
    }
    return held ? null : Outcome.OK;
  }

  /** A condition that threw: the run rolls back, naming the condition and what it decides. */
  private Outcome conditionFailed(When<?> w, String what, Exception e) {
    return Outcome.failed(new RunbookException("The condition (" + run.shown(w.description()) + ") of " + what
        + " in run " + run.runId + " (" + run.runbook.name() + ") failed: " + run.describe(e) + "; rolling back",
        run.shown(e)));
  }

  private boolean ask(When<Object> w, String id, Frame frame) throws Exception {
    Contexts.RunCtx ctx = new Contexts.RunCtx(run, frame);
    Object v = run.calls.call(Invocation.Kind.CONDITION, id, null, 1, false, () -> w.condition().test(ctx));
    Boolean held = UserCode.result(Boolean.class, v, "condition of '" + id + "'");
    if (held == null) {
      throw new IllegalStateException("it returned null, not true or false");
    }
    return held;
  }

  /** Runs the option of {@code c} that its journaled decision, or its conditions asked now, name. */
  CompletableFuture<Outcome> choose(Choice<Object> c, Frame frame) {
    String id = frame.child(c.name());
    String chosen;
    synchronized (run) {
      chosen = run.ledger().chosen(id);
    }
    if (chosen == null) {
      String reason = null;
      for (Group<Object> o : c.options()) {
        if (o.when().isEmpty()) {
          chosen = o.name();
          reason = "no option before it held";
          break;
        }
        @SuppressWarnings("unchecked")
        When<Object> w = (When<Object>) o.when().orElseThrow();
        String oid = id + "/" + o.name();
        try {
          if (ask(w, oid, frame)) {
            chosen = o.name();
            reason = w.description();
            break;
          }
        } catch (Exception e) {
          return Run.done(conditionFailed(w, "option '" + oid + "'", e));
        }
      }
      run.record(new RunEvent.BranchChosen(run.runId, id, chosen, chosen == null ? "no option held" : reason,
          run.now()));
      if (chosen == null) {
        chosen = RunLedger.NO_OPTION;
      }
    }
    for (Group<Object> o : c.options()) {
      if (o.name().equals(chosen)) {
        return run.composites.sequence(o.nodes(), frame.group(id + "/" + o.name(), o.watches()));
      }
    }
    if (!chosen.equals(RunLedger.NO_OPTION)) {
      throw new IllegalStateException("the journal of run " + run.runId + " says choose '" + id
          + "' took option '" + chosen + "', which it does not have");
    }
    return Run.DONE_OK;
  }

  /** The run reached {@code succeed}: journaled once; the run ends successfully. */
  Outcome succeed(Succeed<?> s, Frame frame) {
    boolean known;
    synchronized (run) {
      known = run.ledger().succeededEarly() != null;
    }
    if (!known) {
      run.record(new RunEvent.SucceededEarly(run.runId, frame.child(Succeed.NAME), s.reason(), run.now()));
    }
    return Outcome.ENDED;
  }
}
