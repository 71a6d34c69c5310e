package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An approval's choice (Spinnaker's judgment inputs): journaled, the gate's output, branched on. */
class ApprovalChoiceTests {
  @TempDir
  Path dir;

  private static Runbook<Void> judged(java.util.List<String> did) {
    return Runbook.builder("judged")
        .step("canary", s -> s.action(ctx -> did.add("canary")).compensate((ctx, o) -> did.add("undo canary")))
        .gate("judgment", g -> g.approval(a -> a.approvers("lead").options("proceed", "extend", "rollback")))
        .choose("verdict", c -> c
            .when("rollback", ctx -> ctx.output("judgment").equals("rollback"), o -> o
                .step("abandon", s -> s.action(ctx -> {
                  throw new IllegalStateException("the lead chose to roll back");
                }).readOnly()))
            .when("extend", ctx -> ctx.output("judgment").equals("extend"), o -> o
                .step("extend-canary", s -> s.action(ctx -> did.add("extend")).readOnly()))
            .otherwise(o -> o.step("promote", s -> s.action(ctx -> did.add("promote")).readOnly())))
        .build();
  }

  @Test
  void theApproversChoiceIsTheGatesOutputAndALaterBranchFollowsIt() {
    try (Harness h = new Harness()) {
      java.util.List<String> did = new java.util.concurrent.CopyOnWriteArrayList<>();
      RunHandle handle = h.engine.start(judged(did), null, RunOptions.defaults().withRequester("dev"));
      h.time.runUntilIdle();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "judgment", "lead"))
          .isInstanceOf(ApprovalException.class)
          .hasMessageContaining("asks its approver to choose one of [proceed, extend, rollback]; none was given");
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "judgment", "lead", "", null, "ship-it"))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("'ship-it' is none of them");
      h.engine.approve(handle.runId(), "judgment", "lead", "looks fine", null, "extend");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(did).containsExactly("canary", "extend");
      assertThat(r.outputs()).containsEntry("judgment", "extend");
      assertThat(h.events(r.runId(), RunEvent.ApprovalGranted.class)).singleElement()
          .satisfies(e -> assertThat(e.choice()).isEqualTo("extend"));
      assertThat(Plan.of(judged(did), null).toText()).contains("choosing one of [proceed, extend, rollback]");
    }
  }

  @Test
  void aChoiceTakenThroughAnotherEngineOnTheJournalIsKeptAcrossTheRebuild() {
    VirtualTime time = VirtualTime.create();
    java.util.List<String> did = new java.util.concurrent.CopyOnWriteArrayList<>();
    String url = "jdbc:sqlite:" + dir.resolve("journal.db");
    try (JdbcJournal journal = JdbcJournal.builder(url).build()) {
      try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
        first.start(judged(did), null, RunOptions.defaults().withRunId("j1").withRequester("dev")).await();
      }
      try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time)
          .runbooks(judged(did)).takeOverOrphans(false).build()) {
        second.approve("j1", "judgment", "lead", "", null, "rollback");  // decided in the journal: nobody holds it
      }
      try (RunbookEngine third = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
        RunResult r = third.resume("j1", judged(did)).await();
        assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
        assertThat(did).containsExactly("canary", "undo canary");
        assertThat(r.outputs()).containsEntry("judgment", "rollback");
      }
    }
  }

  @Test
  void optionsOnAGateThatNeedsSeveralApprovalsAreADefinitionError() {
    assertThatThrownBy(() -> Runbook.builder("bad")
        .gate("g", g -> g.approval(a -> a.approvers("a", "b").minApprovals(2).options("x", "y")))
        .build())
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessageContaining("approval has options and needs 2 approvals; whose choice would count?");
  }
}
