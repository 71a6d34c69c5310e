package dev.runbook4j.testing;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apiguardian.api.API;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on a {@link TestRun}. Every failure message carries the run's journal.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class RunAssert extends AbstractAssert<RunAssert, TestRun> {
  RunAssert(TestRun actual) {
    super(actual, RunAssert.class);
  }

  public RunAssert succeeded() {
    return hasState(RunState.SUCCEEDED);
  }

  public RunAssert rolledBack() {
    return hasState(RunState.ROLLED_BACK);
  }

  public RunAssert rollbackFailed() {
    return hasState(RunState.ROLLBACK_FAILED);
  }

  public RunAssert aborted() {
    return hasState(RunState.ABORTED);
  }

  /** The run waits at an approval. */
  public RunAssert parkedAtApproval() {
    return hasState(RunState.AWAITING_APPROVAL);
  }

  public RunAssert hasState(RunState expected) {
    isNotNull();
    if (actual.crashed()) {
      throw error("Expected run %s to be %s, but the kit crashed the engine during it (%s)%n%s", actual.runId(),
          expected, actual.crash().orElse(""), actual.journalText());
    }
    if (actual.state() != expected) {
      throw error("Expected run %s to be %s, but it is %s%s%n%s", actual.runId(), expected, actual.state(),
          failureOf(actual).isEmpty() ? "" : ": " + failureOf(actual), actual.journalText());
    }
    return this;
  }

  /** The kit crashed the engine during the run. */
  public RunAssert crashed() {
    isNotNull();
    if (!actual.crashed()) {
      throw error("Expected the kit to have crashed the engine during run %s, but it is %s%n%s", actual.runId(),
          actual.state(), actual.journalText());
    }
    return this;
  }

  /** The run's failure (what made it roll back or abort) mentions {@code text}. */
  public RunAssert failedWith(String text) {
    isNotNull();
    String message = failureOf(actual);
    if (!message.contains(text)) {
      throw error("Expected the failure of run %s to mention%n  %s%nbut it was%n  %s%n%s", actual.runId(), text,
          message.isEmpty() ? "(no failure)" : message, actual.journalText());
    }
    return this;
  }

  /**
   * Exactly these steps were undone (the journal shows each compensation succeeded); add
   * {@link StepsAssert#inOrder()} to check the order too. Steps may be named by their last name.
   */
  public StepsAssert compensated(String... steps) {
    isNotNull();
    return new StepsAssert(this, actual, "compensated", actual.compensated(), Arrays.asList(steps));
  }

  /** No compensation succeeded. */
  public RunAssert compensatedNothing() {
    isNotNull();
    if (!actual.compensated().isEmpty()) {
      throw error("Expected run %s to have undone nothing, but it undid %s%n%s", actual.runId(),
          actual.compensated(), actual.journalText());
    }
    return this;
  }

  /** Exactly these steps started (the journal shows their action's intent); {@link StepsAssert#inOrder()} for order. */
  public StepsAssert started(String... steps) {
    isNotNull();
    return new StepsAssert(this, actual, "started", actual.started(), Arrays.asList(steps));
  }

  /** The run took {@code expected} of virtual time, from its first event to its last. */
  public RunAssert tookVirtually(Duration expected) {
    isNotNull();
    if (!actual.virtualDuration().equals(expected)) {
      throw error("Expected run %s to take %s of virtual time, but it took %s%n%s", actual.runId(),
          dev.runbook4j.Durations.format(expected), dev.runbook4j.Durations.format(actual.virtualDuration()),
          actual.journalText());
    }
    return this;
  }

  /** Assertions on the run's journal. */
  public JournalAssert journal() {
    isNotNull();
    return new JournalAssert(this, actual);
  }

  /** A list of step ids from the run, compared to what the test names. */
  @API(status = API.Status.EXPERIMENTAL, since = "0.1")
  public static final class StepsAssert {
    private final RunAssert parent;
    private final TestRun run;
    private final String what;
    private final List<String> actual;
    private final List<String> expected;

    StepsAssert(RunAssert parent, TestRun run, String what, List<String> actual, List<String> expected) {
      this.parent = parent;
      this.run = run;
      this.what = what;
      this.actual = actual;
      this.expected = expected;
      List<String> missing = new ArrayList<>();
      for (String e : expected) {
        if (actual.stream().noneMatch(a -> PlanIndex.matches(e, a))) {
          missing.add(e);
        }
      }
      List<String> extra = new ArrayList<>();
      for (String a : actual) {
        if (expected.stream().noneMatch(e -> PlanIndex.matches(e, a))) {
          extra.add(a);
        }
      }
      if (!missing.isEmpty() || !extra.isEmpty() || actual.size() != expected.size()) {
        throw parent.error("Expected run %s to have %s exactly %s, but it %s %s%s%s%n%s", run.runId(), what,
            expected, what, actual, missing.isEmpty() ? "" : "; missing " + missing,
            extra.isEmpty() ? "" : "; not expected " + extra, run.journalText());
      }
    }

    /** ... and in the order given. */
    public RunAssert inOrder() {
      for (int i = 0; i < expected.size(); i++) {
        if (!PlanIndex.matches(expected.get(i), actual.get(i))) {
          throw parent.error("Expected run %s to have %s %s in that order, but the order was %s (first difference at"
              + " position %d: expected '%s', was '%s')%n%s", run.runId(), what, expected, actual, i + 1,
              expected.get(i), actual.get(i), run.journalText());
        }
      }
      return parent;
    }

    /** Back to the run, ignoring the order. */
    public RunAssert inAnyOrder() {
      return parent;
    }
  }

  private static String failureOf(TestRun run) {
    if (run.crashed() || !run.state().isTerminal() && !run.parked()) {
      return "";
    }
    return run.result().failure().map(Throwable::getMessage).orElse("");
  }

  AssertionError error(String format, Object... args) {
    return new AssertionError(String.format(format, args));
  }

  /** Assertions on a run's journal. */
  @API(status = API.Status.EXPERIMENTAL, since = "0.1")
  public static final class JournalAssert {
    private final RunAssert parent;
    private final TestRun run;

    JournalAssert(RunAssert parent, TestRun run) {
      this.parent = parent;
      this.run = run;
    }

    /**
     * No effect happened twice: no step succeeded twice, no step was undone twice, every attempt of
     * a step carried the same idempotency key, every action the kit saw called had its intent
     * journaled first, and no action or compensation code completed more often than one call plus
     * one per restart (a restart may repeat a call whose outcome it lost, with the same key).
     */
    public JournalAssert hasNoDuplicateEffects() {
      List<String> problems = Effects.duplicates(run);
      if (!problems.isEmpty()) {
        throw parent.error("Expected run %s to have no duplicate effects, but:%n  %s%n%s", run.runId(),
            String.join("\n  ", problems), run.journalText());
      }
      return this;
    }

    /** The journal's integrity check finds nothing wrong with the run's events. */
    public JournalAssert verifies() {
      run.journalProblem().ifPresent(p -> {
        throw parent.error("Expected the journal of run %s to verify, but: %s%n%s", run.runId(), p,
            run.journalText());
      });
      return this;
    }

    /** The journal has at least one event of {@code type}. */
    public JournalAssert contains(Class<? extends RunEvent> type) {
      if (run.events(type).isEmpty()) {
        throw parent.error("Expected the journal of run %s to contain a %s event%n%s", run.runId(),
            type.getSimpleName(), run.journalText());
      }
      return this;
    }

    /** Back to the run. */
    public RunAssert and() {
      return parent;
    }
  }
}
