package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A gate before the rollback: confirm the rollback, or inspect before undoing. */
class RollbackGateTests {
  private static Runbook<Void> guarded(Harness h, OnFailure onTimeout) {
    return Runbook.builder("guarded")
        .beforeRollback("confirm-rollback", g -> g.approval(a -> a.approvers("oncall").timeout(Duration.ofMinutes(30)))
            .onFailure(onTimeout))
        .step("a", h.effect("a"))
        .step("b", h.effect("b"))
        .build();
  }

  @Test
  void theRollbackWaitsForItsGateAndUndoesOnceApproved() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      RunHandle handle = h.engine.start(guarded(h, OnFailure.ROLLBACK), null, RunOptions.defaults().withRequester("dev"));
      h.time.runUntilIdle();
      assertThat(handle.status().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      assertThat(handle.status().awaitingApproval()).containsExactly("rollback/confirm-rollback");
      assertThat(h.undone()).isEmpty();  // nothing undone before the gate passes
      h.engine.approve(handle.runId(), "confirm-rollback", "oncall");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("b", "a");
      java.util.List<RunEvent> events = h.events(r.runId());
      assertThat(events).filteredOn(e -> e instanceof RunEvent.RunStateChanged).extracting(e -> ((RunEvent.RunStateChanged) e).to())
          .containsSubsequence(RunState.ROLLING_BACK, RunState.AWAITING_APPROVAL, RunState.ROLLING_BACK,
              RunState.ROLLED_BACK);
    }
  }

  @Test
  void aPersonWhoRejectsItLeavesEverythingAsItIs() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      RunHandle handle = h.engine.start(guarded(h, OnFailure.ROLLBACK), null, RunOptions.defaults().withRequester("dev"));
      h.time.runUntilIdle();
      h.engine.reject(handle.runId(), "confirm-rollback", "oncall", "fixing forward");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ABORTED);
      assertThat(h.undone()).isEmpty();
      assertThat(r.failure().orElseThrow()).hasMessageContaining("its gate 'rollback/confirm-rollback' was rejected by"
          + " oncall: fixing forward; nothing was undone, the run keeps its locks");
    }
  }

  @Test
  void whenNobodyAnswersItsOnFailureSaysWhetherToUndoAnyway() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      RunHandle handle = h.engine.start(guarded(h, OnFailure.ROLLBACK), null, RunOptions.defaults().withRequester("dev"));
      h.time.advance(Duration.ofMinutes(31));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("b", "a");
    }
    try (Harness h = new Harness()) {
      h.failing.add("b");
      RunHandle handle = h.engine.start(guarded(h, OnFailure.ABORT), null, RunOptions.defaults().withRequester("dev"));
      h.time.advance(Duration.ofMinutes(31));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ABORTED);
      assertThat(h.undone()).isEmpty();
    }
  }

  @Test
  void theGateIsInThePlanAndARunThatSucceedsNeverMeetsIt() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(guarded(h, OnFailure.ROLLBACK), null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(Plan.of(guarded(h, OnFailure.ROLLBACK), null).toText()).contains("before the rollback:",
          "gate rollback/confirm-rollback  [approval:");
    }
  }

  @Test
  void aRollbackGateThatContinuesIsADefinitionError() {
    assertThatThrownBy(() -> Runbook.builder("bad")
        .beforeRollback("confirm", g -> g.approval(a -> a.approvers("x")).onFailure(OnFailure.CONTINUE))
        .step("a", s -> s.action(ctx -> 1).readOnly())
        .build())
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessageContaining("gate 'rollback/confirm' before the rollback says onFailure(CONTINUE)");
  }

  @Test
  void aGateMayLetTheRequesterApproveWhereATeamsPolicySaysSo() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      Runbook<Void> rb = Runbook.builder("solo")
          .beforeRollback("confirm", g -> g.approval(a -> a.approvers("dev").requesterMayApprove(true)))
          .step("a", h.effect("a"))
          .step("b", h.effect("b"))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults().withRequester("dev"));
      h.time.runUntilIdle();
      h.engine.approve(handle.runId(), "confirm", "dev");
      assertThat(handle.await().state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(Plan.of(rb, null).toText()).contains("1 of [dev], requester may approve");
    }
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("four-eyes")
          .gate("go", g -> g.approval(a -> a.approvers("dev", "ops")))
          .step("a", h.effect("a"))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults().withRequester("dev"));
      h.time.runUntilIdle();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "go", "dev"))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("requested run");
    }
  }
}
