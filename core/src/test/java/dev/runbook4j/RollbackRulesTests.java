package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** One test per row of the rollback table in {@link RunbookEngine}'s Javadoc. */
class RollbackRulesTests {

  @Test
  void row1_aStepThatFailsAfterItsRetriesCompensatesEveryStartedStepInReverseStartOrder() {
    try (Harness h = new Harness()) {
      h.failing.add("c");
      Runbook<Void> rb = Runbook.builder("row1")
          .step("a", h.effect("a")).step("b", h.effect("b")).step("c", h.effect("c")).step("d", h.effect("d"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      // the failed step started, so it is compensated too; d never started
      assertThat(r.compensated()).containsExactly("c", "b", "a");
      assertThat(h.effects).doesNotContain("do:d", "undo:d");
      assertThat(r.failure().orElseThrow()).isInstanceOf(StepFailedException.class);
      assertThat(r.failure().get().getMessage()).isEqualTo(
          "Step 'c' of run " + r.runId() + " (row1) failed after 1 attempt: IllegalStateException (c broke);"
              + " rolling back 3 started steps");
    }
  }

  @Test
  void row2_aRejectedGateRollsBackTheStepsBeforeIt() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("row2")
          .step("a", h.effect("a"))
          .gate("window", g -> g.check(ctx -> GateDecision.reject("outside the deployment window")))
          .step("b", h.effect("b"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("a");
      assertThat(r.failure().orElseThrow()).isInstanceOf(GateRejectedException.class)
          .hasMessageContaining("Gate 'window'").hasMessageContaining("outside the deployment window");
    }
  }

  @Test
  void row3_aWatchBreachBetweenStepsRollsBack() {
    try (Harness h = new Harness()) {
      AtomicBoolean healthy = new AtomicBoolean(true);
      Runbook<Void> rb = Runbook.builder("row3")
          .watch("5xx", Duration.ofSeconds(30), ctx -> healthy.get() ? Health.healthy() : Health.breached("5xx at 7%"))
          .step("a", s -> s.action(ctx -> { h.effects.add("do:a"); healthy.set(false); return null; })
              .compensate((ctx, o) -> h.effects.add("undo:a")))
          .step("b", h.effect("b"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).containsExactly("do:a", "undo:a");
      assertThat(r.failure().orElseThrow()).isInstanceOf(WatchBreachedException.class)
          .hasMessage("Watch '5xx' of run " + r.runId() + " (row3) breached before step 'b': 5xx at 7%");
    }
  }

  @Test
  void row4_aWaitUntilThatTimesOutRollsBack() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("row4")
          .step("a", h.effect("a"))
          .waitUntil("stable", Duration.ofSeconds(10), Duration.ofMinutes(1), ctx -> false)
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("a");
      assertThat(r.failure().orElseThrow()).isInstanceOf(WaitTimeoutException.class)
          .hasMessage("Wait 'stable' of run " + r.runId() + " (row4) timed out after 1m and 7 checks;"
              + " the condition never held");
    }
  }

  @Test
  void row5_cancelWhileRunningInterruptsTheActionAndCompensatesItToo() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("row5")
          .step("a", h.effect("a"))
          .step("slow", s -> s.action(ctx -> { h.effects.add("do:slow"); ctx.sleep(Duration.ofHours(1)); return null; })
              .compensate((ctx, o) -> h.effects.add("undo:slow")))
          .step("c", h.effect("c"))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      assertThat(handle.status().active()).containsExactly("slow");
      h.engine.cancel(handle.runId(), "oncall", "wrong version");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).containsExactly("do:a", "do:slow", "undo:slow", "undo:a");
      assertThat(r.failure().orElseThrow()).isInstanceOf(RunCancelledException.class)
          .hasMessage("Run " + r.runId() + " (row5) was cancelled by oncall: wrong version");
    }
  }

  @Test
  void row6_cancelDuringTheRollbackIsRecordedAndTheRollbackGoesOn() {
    try (Harness h = new Harness()) {
      h.failing.add("c");
      Runbook<Void> rb = Runbook.builder("row6")
          .step("a", h.effect("a"))
          .step("b", s -> s.action(ctx -> "b").compensate((ctx, o) -> {
            h.effects.add("undo:b");
            ctx.sleep(Duration.ofMinutes(5));
          }))
          .step("c", h.effect("c"))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      assertThat(handle.status().state()).isEqualTo(RunState.ROLLING_BACK);
      h.engine.cancel(handle.runId(), "oncall", "stop everything");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("c", "b", "a");
      assertThat(h.events(r.runId(), RunEvent.CancelRequested.class)).hasSize(1);
    }
  }

  @Test
  void row7_aCompensationThatKeepsFailingDoesNotStopTheOthersAndTheRunEndsRollbackFailed() {
    try (Harness h = new Harness()) {
      h.failing.add("d");
      h.failingUndo.add("b");
      Runbook<Void> rb = Runbook.builder("row7")
          .step("a", h.effect("a")).step("b", h.effect("b")).step("c", h.effect("c")).step("d", h.effect("d"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      assertThat(r.compensated()).containsExactly("d", "c", "a");
      assertThat(r.compensationFailed()).containsExactly("b");
      // b's compensation was tried twice (its RetrySpec), then a was still undone
      assertThat(h.undone()).containsExactly("d", "c", "b", "b", "a");
      RunbookException failure = r.failure().orElseThrow();
      assertThat(failure).isInstanceOf(StepFailedException.class);
      assertThat(failure.getSuppressed()).hasSize(1);
      CompensationFailedException cfe = (CompensationFailedException) failure.getSuppressed()[0];
      assertThat(cfe.failedSteps()).containsExactly("b");
      assertThat(cfe.undoneSteps()).containsExactly("d", "c", "a");
      assertThat(cfe.getSuppressed()).hasSize(1);
      assertThat(cfe.getSuppressed()[0]).hasMessageContaining("Compensation of step 'b'")
          .hasRootCauseMessage("undo of b broke");
      assertThat(cfe).hasMessage("Rollback of run " + r.runId() + " (row7) is incomplete: compensation failed for"
          + " 'b'; undone: 'd', 'c', 'a'. The run keeps its locks; fix the target by hand, then release them (RunbookEngine.releaseLock)");
    }
  }

  @Test
  void row7_aRunThatEndsRollbackFailedKeepsItsLocks() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      h.failingUndo.add("a");
      Runbook<Void> rb = Runbook.builder("row7-locks").lock("web-prod")
          .step("a", h.effect("a")).step("b", h.effect("b")).build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      RunHandle next = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      assertThat(next.status().state()).isEqualTo(RunState.WAITING);
      assertThat(next.status().active()).containsExactly("lock:web-prod");
    }
  }

  @Test
  void row8_readOnlyAndIrreversibleStepsArePassedOverAndListedAsNotUndone() {
    try (Harness h = new Harness()) {
      h.failing.add("d");
      Runbook<Void> rb = Runbook.builder("row8")
          .step("a", h.effect("a"))
          .step("check", s -> s.action(ctx -> "ok").readOnly())
          .step("migrate", s -> s.action(ctx -> "v2").irreversible())
          .step("d", h.effect("d"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("d", "a");
      assertThat(r.notUndone()).containsExactly("migrate", "check");
      assertThat(h.events(r.runId(), RunEvent.CompensationSkipped.class))
          .extracting(RunEvent.CompensationSkipped::reversibility)
          .containsExactly(Reversibility.IRREVERSIBLE, Reversibility.READ_ONLY);
    }
  }

  @Test
  void row9_parallelBranchesAreEachUndoneInReverse() {
    try (Harness h = new Harness()) {
      h.failing.add("y2");
      Runbook<Void> rb = Runbook.builder("row9")
          .step("a", h.effect("a"))
          .parallel("fan", p -> p
              .branch("x", b -> b.step("x1", h.effect("x1")).step("x2", h.effect("x2")))
              .branch("y", b -> b.step("y1", h.effect("y1")).sleep("y-pause", Duration.ofMinutes(1))
                  .step("y2", h.effect("y2"))))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      List<String> undone = r.compensated();
      assertThat(undone).containsExactlyInAnyOrder("fan/y/y2", "fan/y/y1", "fan/x/x2", "fan/x/x1", "a");
      assertThat(undone.indexOf("fan/x/x2")).isLessThan(undone.indexOf("fan/x/x1"));
      assertThat(undone.indexOf("fan/y/y2")).isLessThan(undone.indexOf("fan/y/y1"));
      assertThat(undone).last().isEqualTo("a");
    }
  }

  @Test
  void row10_onFailureContinueRecordsTheFailureAndTheStepIsStillCompensatedLater() {
    try (Harness h = new Harness()) {
      h.failing.add("flaky");
      h.failing.add("c");
      Runbook<Void> rb = Runbook.builder("row10")
          .step("a", h.effect("a"))
          .step("flaky", s -> h.<Void>effect("flaky").accept(s.onFailure(OnFailure.CONTINUE)))
          .step("c", h.effect("c"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(h.events(r.runId(), RunEvent.StepFailureIgnored.class)).extracting(RunEvent.StepFailureIgnored::stepId)
          .containsExactly("flaky");
      assertThat(r.compensated()).containsExactly("c", "flaky", "a");
    }
  }

  @Test
  void row10_onFailureContinueLetsTheRunSucceed() {
    try (Harness h = new Harness()) {
      h.failing.add("notify");
      Runbook<Void> rb = Runbook.builder("row10b")
          .step("notify", s -> h.<Void>effect("notify").accept(s.onFailure(OnFailure.CONTINUE)))
          .gate("optional", g -> g.check(ctx -> GateDecision.reject("no")).onFailure(OnFailure.CONTINUE))
          .step("b", h.effect("b"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:notify", "do:b");
    }
  }

  @Test
  void row11_onFailureAbortStopsWithoutCompensatingAndKeepsLocks() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      Runbook<Void> rb = Runbook.builder("row11").lock("db")
          .step("a", h.effect("a"))
          .step("b", s -> h.<Void>effect("b").accept(s.onFailure(OnFailure.ABORT)))
          .step("c", h.effect("c"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ABORTED);
      assertThat(h.effects).containsExactly("do:a", "do:b");
      assertThat(r.compensated()).isEmpty();
      assertThat(r.failure().orElseThrow().getMessage()).endsWith("aborting without rollback (onFailure ABORT)");
      RunHandle next = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      assertThat(next.status().active()).containsExactly("lock:db");
    }
  }

  @Test
  void row12_whenTheIntentCannotBeJournaledTheActionIsNotCalledTheRunPausesAndGoesOnWhenTheJournalRecovers() {
    dev.runbook4j.journal.InMemoryJournal inner = new dev.runbook4j.journal.InMemoryJournal();
    // the disk fills up just before step 'b' is announced: every write but the start and step 'a' fails
    java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean();
    dev.runbook4j.journal.FaultInjectingJournal failing = dev.runbook4j.journal.FaultInjectingJournal.wrap(inner)
        .failWrites(e -> full.get() || (e instanceof RunEvent.StepStarted s && s.stepId().equals("b") && full.compareAndSet(false, true)));
    try (Harness h = new Harness(b -> b.journal(failing))) {
      Runbook<Void> rb = Runbook.builder("row12").step("a", h.effect("a")).step("b", h.effect("b")).build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      assertThatThrownBy(handle::await).isInstanceOf(JournalException.class)
          .hasMessageContaining("the write of StepStarted of run " + handle.runId() + " failed");
      assertThat(h.effects).containsExactly("do:a");
      assertThat(handle.result()).isNotDone();
      assertThat(handle.status().failure()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .contains("the write of StepStarted of run " + handle.runId() + " failed");

      h.time.advance(Duration.ofMinutes(1));  // still full: the engine keeps trying, calls nothing
      assertThat(h.effects).containsExactly("do:a");

      failing.heal();
      h.time.advance(Duration.ofMinutes(5));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a", "do:b");
      assertThat(handle.result()).isCompleted();
      assertThat(inner.read(r.runId())).anyMatch(e -> e instanceof RunEvent.RunResumed);
    }
  }

  @Test
  void row13_aNodeWhoseConditionDoesNotHoldIsPassedOverAndItsStepsAreNotUndone() {
    try (Harness h = new Harness()) {
      h.failing.add("c");
      Runbook<Void> rb = Runbook.builder("row13")
          .step("a", h.effect("a"))
          .group("optional", g -> g.when("never", ctx -> false).step("b", h.effect("b")))
          .step("c", h.effect("c"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.skipped()).containsExactly("optional");
      assertThat(h.effects).containsExactly("do:a", "do:c", "undo:c", "undo:a");
      assertThat(h.events(r.runId(), RunEvent.NodeSkipped.class)).singleElement()
          .satisfies(e -> assertThat(e.reason()).isEqualTo("its condition (never) did not hold"));
    }
  }

  @Test
  void row14_theStepsOfTheChosenOptionAreUndoneInReverseStartOrderWithTheOthers() {
    try (Harness h = new Harness()) {
      h.failing.add("d");
      Runbook<Void> rb = Runbook.builder("row14")
          .step("a", h.effect("a"))
          .choose("pick", c -> c
              .when("first", ctx -> false, o -> o.step("x", h.effect("x")))
              .when("second", ctx -> true, o -> o.step("b", h.effect("b")).step("c", h.effect("c"))))
          .step("d", h.effect("d"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("d", "pick/second/c", "pick/second/b", "a");
      assertThat(h.effects).doesNotContain("do:x", "undo:x");
    }
  }

  @Test
  void row15_succeedEndsTheRunWithoutRunningWhatFollowsOrRollingBack() {
    try (Harness h = new Harness()) {
      h.failing.add("c");
      Runbook<Void> rb = Runbook.builder("row15")
          .step("a", h.effect("a"))
          .group("check", g -> g.step("b", h.effect("b")).succeed("nothing left to do"))
          .step("c", h.effect("c"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.endedEarly()).contains("nothing left to do");
      assertThat(h.effects).containsExactly("do:a", "do:b");
    }
  }

  @Test
  void row16_aCompensationThatFailsAndSaysStopEndsTheRollbackThere() {
    try (Harness h = new Harness()) {
      h.failing.add("d");
      h.failingUndo.add("b");
      Runbook<Void> rb = Runbook.builder("row16")
          .step("a", h.effect("a"))
          .step("b", s -> h.<Void>effect("b").accept(s.onCompensationFailure(OnCompensationFailure.STOP)))
          .step("c", h.effect("c"))
          .step("d", h.effect("d"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      assertThat(r.compensated()).containsExactly("d", "c");
      assertThat(h.effects).doesNotContain("undo:a");
      assertThat(h.events(r.runId(), RunEvent.RollbackStopped.class).get(0).notAttempted()).containsExactly("a");
    }
  }

  @Test
  void row17_aFailureRuleRoutesTheFailureByItsError() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      Runbook<Void> rb = Runbook.builder("row17")
          .step("a", h.effect("a"))
          .step("b", s -> h.<Void>effect("b").accept(s.onFailure(IllegalStateException.class, OnFailure.CONTINUE)))
          .step("c", h.effect("c"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a", "do:b", "do:c");
      assertThat(h.events(r.runId(), RunEvent.FailureRouted.class)).singleElement()
          .satisfies(e -> assertThat(e.route()).isEqualTo(OnFailure.CONTINUE));
    }
  }

  @Test
  void row18_aRunPastItsTimeoutStartsNoNewNodeAndRollsBack() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("row18")
          .timeout(Duration.ofMinutes(30))
          .step("a", h.effect("a"))
          .step("slow", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofMinutes(40));  // finishes: an action in flight is bounded by its own timeout
            h.effects.add("do:slow");
            return null;
          }).compensate((ctx, o) -> h.effects.add("undo:slow")))
          .step("b", h.effect("b"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).containsExactly("do:a", "do:slow", "undo:slow", "undo:a");
      assertThat(r.failure().orElseThrow()).isInstanceOf(RunTimedOutException.class);
    }
  }
}
