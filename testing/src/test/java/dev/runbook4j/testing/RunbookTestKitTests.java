package dev.runbook4j.testing;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.StepTimeoutException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RunbookTestKitTests {
  final Canary.Alias alias = new Canary.Alias();
  final Runbook<Void> canary = Canary.runbook(alias);
  final RunbookTestKit kit = RunbookTestKit.create();

  @AfterEach
  void close() {
    kit.close();
  }

  @Test
  void twelveHoursOfBakesPassOnVirtualTime() {
    kit.faults().approveAs("go-live", "alice");
    Instant before = kit.now();

    TestRun run = kit.run(canary, null);

    assertThat(run).succeeded().compensatedNothing().journal().hasNoDuplicateEffects().verifies();
    assertThat(Duration.between(before, kit.now())).isGreaterThanOrEqualTo(Duration.ofHours(12));
    assertThat(run.virtualDuration()).isGreaterThanOrEqualTo(Duration.ofHours(12));
    assertThat(alias.target).isEqualTo("v2");
    assertThat(run.actionsCalled()).containsExactly("publish", "shift-10", "shift-50", "shift-100", "promote",
        "announce");
  }

  @Test
  void aTimeoutInjectedIntoACompensationWithoutATimeoutIsNotReportedAsATimeoutOfZeroSeconds() {
    Runbook<Void> rb = Runbook.builder("no-timeout")
        .step("call", s -> s.action(ctx -> "done").compensate((ctx, out) -> {}))
        .step("boom", s -> s.action(ctx -> {
          throw new IllegalStateException("boom");
        }).compensate((ctx, out) -> {}))
        .build();
    kit.faults().failCompensation("call").byTimeout();

    TestRun run = kit.run(rb, null);

    assertThat(run).rollbackFailed();
    String error = run.events(RunEvent.CompensationFailed.class).get(0).error();
    org.assertj.core.api.Assertions.assertThat(error)
        .contains("timed out: a TimeoutException came out of its call (the step has no timeout of its own)")
        .doesNotContain("after 0s", "raise the step's timeout");
  }

  @Test
  void aStepThatTimesOutMeetsItsOwnTimeoutOnVirtualTime() {
    kit.faults().failStep("shift-50").byTimeout();

    TestRun run = kit.run(canary, null);

    assertThat(run).rolledBack().compensated("shift-50", "shift-10", "publish").inOrder();
    assertThat(run).failedWith("timed out after 2m");
    // three attempts of two minutes each, with 30 s and 60 s of backoff between them
    var failed = run.events(RunEvent.StepFailed.class);
    assertThat(failed).hasSize(3).allMatch(f -> f.stepId().equals("shift-50"));
    assertThat(Duration.between(failed.get(0).at(), failed.get(2).at())).isGreaterThanOrEqualTo(Duration.ofMinutes(4));
    assertThat(alias.pristine()).as("%s", alias).isTrue();
  }

  @Test
  void aTransientFailureIsRiddenOutByTheRetry() {
    kit.faults().failStep("shift-10").times(2).and().approveAs("go-live", "bob");

    TestRun run = kit.run(canary, null);

    assertThat(run).succeeded();
    assertThat(run.events(RunEvent.StepStarted.class).stream().filter(s -> s.stepId().equals("shift-10")))
        .hasSize(3);
    assertThat(run.calls().stream().filter(c -> c.nodeId().equals("shift-10") && c.injected())).hasSize(2);
  }

  @Test
  void aFailureOfTheTestsOwnMakingCarriesItsException() {
    kit.faults().failStep("publish").with(() -> new IllegalStateException("quota exceeded"));

    TestRun run = kit.run(canary, null);

    assertThat(run).rolledBack().compensated("publish").inOrder();
    assertThat(run).failedWith("quota exceeded");
  }

  @Test
  void aFailedCompensationEndsRollbackFailedAndTheOthersStillRun() {
    kit.faults().failStep("shift-100").and().failCompensation("shift-50");

    TestRun run = kit.run(canary, null);

    assertThat(run).rollbackFailed().compensated("shift-100", "shift-10", "publish").inOrder();
    assertThat(run.compensationsCalled()).containsExactly("shift-100", "shift-50", "shift-10", "publish");
    assertThat(run.result().compensationFailed()).containsExactly("shift-50");
  }

  @Test
  void aRejectedGateRollsBack() {
    kit.faults().rejectGate("healthy");

    TestRun run = kit.run(canary, null);

    assertThat(run).rolledBack().compensated("publish").inOrder();
    assertThat(run).failedWith("gate 'healthy' rejects");
  }

  @Test
  void approvalsAreGivenAndRefusedByNamedUsers() {
    TestRun parked = kit.run(canary, null);
    assertThat(parked).parkedAtApproval();

    assertThatThrownBy(() -> kit.approve(parked, "go-live", "mallory"))
        .hasMessageContaining("mallory");
    TestRun done = kit.approve(parked, "go-live", "alice");
    assertThat(done).succeeded();
    assertThat(done.events(RunEvent.ApprovalGranted.class)).extracting(RunEvent.ApprovalGranted::user)
        .containsExactly("alice");

    Canary.Alias other = new Canary.Alias();
    kit.faults().rejectAs("go-live", "bob", "not on a Friday");
    TestRun rejected = kit.run(Canary.runbook(other), null);
    assertThat(rejected).rolledBack().compensated("shift-100", "shift-50", "shift-10", "publish").inOrder();
    assertThat(rejected).failedWith("not on a Friday");
    assertThat(other.pristine()).isTrue();
  }

  @Test
  void aWatchBreachesAtAVirtualInstant() {
    kit.faults().breachWatch("errors").after(Duration.ofHours(5));

    TestRun run = kit.run(canary, null);

    assertThat(run).rolledBack().compensated("shift-50", "shift-10", "publish").inOrder();
    RunEvent.WatchBreached breach = run.events(RunEvent.WatchBreached.class).get(0);
    Instant started = run.events().get(0).at();
    // the watch is checked every 5 minutes: the first check at or after 5 h falls in bake-50
    assertThat(Duration.between(started, breach.at())).isBetween(Duration.ofHours(5), Duration.ofHours(5).plusMinutes(5));
    assertThat(run.calls().stream().filter(c -> c.injected() && c.nodeId().equals("errors")).findFirst().orElseThrow()
        .during()).isEqualTo("bake-50");
  }

  @Test
  void aWatchBreachesDuringANamedBake() {
    kit.faults().breachWatch("errors").during("bake-100");

    TestRun run = kit.run(canary, null);

    assertThat(run).rolledBack().compensated("shift-100", "shift-50", "shift-10", "publish").inOrder();
  }

  @Test
  void aCrashBeforeAWriteStopsTheEngineAndANewOneGoesOn() {
    kit.faults().approveAs("go-live", "alice").crashBefore(e -> e instanceof RunEvent.StepSucceeded s
        && s.stepId().equals("shift-50"));

    TestRun crashed = kit.run(canary, null);
    assertThat(crashed).crashed();
    assertThat(crashed.crash().orElseThrow()).startsWith("crash before write");
    // the action ran, its outcome was lost with the process
    assertThat(alias.weight).isEqualTo(50);

    TestRun resumed = kit.resume(crashed);
    assertThat(resumed).succeeded().journal().hasNoDuplicateEffects().verifies();
    assertThat(resumed.events(RunEvent.RunResumed.class)).hasSize(1);
    // shift-50 ran again after the restart, with the same idempotency key
    assertThat(resumed.calls().stream().filter(c -> c.nodeId().equals("shift-50") && c.called())).hasSize(2);
  }

  @Test
  void aCrashAfterAWriteLeavesTheActionUncalled() {
    kit.faults().failStep("shift-100").and().crashAfterWrite(2);

    TestRun crashed = kit.run(canary, null);
    assertThat(crashed).crashed();
    assertThat(crashed.events()).hasSize(2).last().isInstanceOf(RunEvent.StepStarted.class);
    assertThat(crashed.actionsCalled()).isEmpty();

    TestRun resumed = kit.resume(crashed);
    assertThat(resumed).rolledBack().compensated("shift-100", "shift-50", "shift-10", "publish").inOrder();
    assertThat(resumed).journal().hasNoDuplicateEffects();
    assertThat(alias.pristine()).isTrue();
  }

  @Test
  void aCrashBeforeTheFirstWriteStartsTheRunAgainWithItsId() {
    kit.faults().crashBeforeWrite(1).approveAs("go-live", "alice");

    TestRun crashed = kit.run(canary, null);
    assertThat(crashed).crashed();
    assertThat(crashed.events()).isEmpty();

    TestRun again = kit.resume(crashed);
    assertThat(again.runId()).isEqualTo(crashed.runId());
    assertThat(again).succeeded();
  }

  @Test
  void aFailedAssertionPrintsTheJournal() {
    kit.faults().failStep("shift-10");
    TestRun run = kit.run(canary, null);

    assertThatThrownBy(() -> assertThat(run).succeeded())
        .hasMessageContaining("to be SUCCEEDED, but it is ROLLED_BACK")
        .hasMessageContaining("step failed")
        .hasMessageContaining("shift-10 #3: ")
        .hasMessageContaining("seed 1");
    assertThatThrownBy(() -> assertThat(run).compensated("publish", "shift-10").inOrder())
        .hasMessageContaining("in that order, but the order was [shift-10, publish]");
    assertThatThrownBy(() -> assertThat(run).compensated("publish"))
        .hasMessageContaining("not expected [shift-10]");
  }

  @Test
  void runIdsComeFromTheSeed() {
    try (RunbookTestKit a = RunbookTestKit.builder().seed(7).build();
        RunbookTestKit b = RunbookTestKit.builder().seed(7).build()) {
      String first = a.run(Canary.runbook(new Canary.Alias()), null).runId();
      String second = b.run(Canary.runbook(new Canary.Alias()), null).runId();
      assertThat(first).isEqualTo(second).isEqualTo("run-7-1");
      assertThat(a.random().nextLong()).isEqualTo(b.random().nextLong());
    }
  }

  @Test
  void aWaitWhoseConditionNeverHoldsTimesOut() {
    Runbook<Void> rb = Runbook.builder("dns")
        .step("record", s -> s.action(ctx -> "r").compensate((ctx, r) -> { }))
        .waitUntil("propagated", Duration.ofSeconds(30), Duration.ofMinutes(10), ctx -> true)
        .build();
    kit.faults().neverSatisfied("propagated");

    TestRun run = kit.run(rb, null);

    assertThat(run).rolledBack().compensated("record");
    assertThat(run.virtualDuration()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void faultsThatNameWhatTheRunbookDoesNotHaveAreRefusedBeforeAnythingRuns() {
    kit.faults().failStep("shift-5O");
    assertThatThrownBy(() -> kit.run(canary, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step 'shift-5O', which runbook 'canary' does not have (did you mean 'shift-50'?)")
        .hasMessageContaining("its steps: publish, shift-10, shift-50, shift-100, promote, announce");
    assertThat(alias.log).isEmpty();

    kit.faults().clear().failCompensation("announce");
    assertThatThrownBy(() -> kit.run(canary, null))
        .hasMessageContaining("compensation of step 'announce' fail, but in runbook 'canary' that step is read-only:"
            + " it has no compensation to fail");

    kit.faults().clear().approveAs("healthy", "alice");
    assertThatThrownBy(() -> kit.run(canary, null))
        .hasMessageContaining("gate 'healthy' as a user, but in runbook 'canary' that gate is a check, not an approval");

    kit.faults().clear().rejectGate("bake-10");
    assertThatThrownBy(() -> kit.run(canary, null))
        .hasMessageContaining("'bake-10' is a bake, not a gate");

    kit.faults().clear().breachWatch("latency");
    assertThatThrownBy(() -> kit.run(canary, null))
        .hasMessageContaining("watch 'latency', which runbook 'canary' does not have; its watchs: errors");

    assertThatThrownBy(() -> kit.faults().failStep("x").times(0)).hasMessageContaining("at least one call");
    assertThatThrownBy(() -> kit.faults().crashBeforeWrite(0)).hasMessageContaining("from 1");
    assertThat(alias.log).isEmpty();
  }

  @Test
  void statesAreReadFromACrashedRunsJournal() {
    kit.faults().crashBefore(e -> e instanceof RunEvent.CompensationStarted).failStep("shift-10");
    TestRun run = kit.run(canary, null);
    assertThat(run).crashed();
    assertThat(run.state()).isEqualTo(RunState.ROLLING_BACK);
    assertThatThrownBy(run::result).hasMessageContaining("resume it with kit.resume(run)");
    assertThat(kit.resume(run)).rolledBack();
    assertThat(kit.report()).contains("engine killed: crash before write").contains("compensated");
    assertThat(StepTimeoutException.class).isNotNull();
  }
}
