package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.journal.InMemoryJournal;
import org.junit.jupiter.api.Test;

/** Run ids are checked before anything is journaled; a runbook's code is covered by its plan hash. */
class RunIdAndCodeTests {
  private static Runbook<Void> gated(String code) {
    return Runbook.builder("gated").code(code)
        .step("ship", s -> s.action(ctx -> "shipped").compensate((ctx, out) -> {}))
        .gate("approval", g -> g.approval(a -> a.approvers("alice", "bob", "carol").minApprovals(2)))
        .build();
  }

  @Test
  void aRunIdIsAnyPrintableTextOfAtMost200CharactersWithoutSpaceAtItsEnds() {
    for (String ok : new String[] {"rel 1", "rel_1", "déploiement/2026-12-01", "x".repeat(200), "a:b@c+d=e"}) {
      assertThat(RunOptions.defaults().withRunId(ok).runId()).contains(ok);
    }
    assertThatThrownBy(() -> RunOptions.defaults().withRunId("x".repeat(201)))
        .hasMessageContaining("at most 200 characters; this one has 201");
    assertThatThrownBy(() -> RunOptions.defaults().withRunId("bad\u001bid")).hasMessageContaining("U+001B at position 4");
    assertThatThrownBy(() -> RunOptions.defaults().withRunId("two\nlines")).hasMessageContaining("U+000A");
    assertThatThrownBy(() -> RunOptions.defaults().withRunId("a\u2028b")).hasMessageContaining("U+2028");
    assertThatThrownBy(() -> RunOptions.defaults().withRunId("a\u202eb")).hasMessageContaining("U+202E");
    assertThatThrownBy(() -> RunOptions.defaults().withRunId(" padded")).hasMessageContaining("begin or end with a space");
    assertThatThrownBy(() -> RunOptions.defaults().withRunId("")).hasMessageContaining("must not be empty");
  }

  @Test
  void thePlanHashCoversTheCodeAndAResumeWithOtherCodeIsRefused() {
    assertThat(Plan.of(gated("sha256:aa"), null).hash()).isNotEqualTo(Plan.of(gated("sha256:bb"), null).hash());
    assertThat(Plan.of(gated(""), null).hash()).isEqualTo(Plan.of(gated(""), null).hash());
    assertThat(Plan.of(gated("sha256:aa"), null).toText()).contains("code: sha256:aa");
    assertThat(Plan.of(gated("sha256:aa"), null).toJson()).contains("\"code\" : \"sha256:aa\"");
    InMemoryJournal journal = InMemoryJournal.withRetention(16);
    String runId;
    try (RunbookEngine e = RunbookEngine.builder().journal(journal).noParking().build()) {
      RunHandle h = e.start(gated("sha256:aa"), null, RunOptions.defaults().withRequester("dave"));
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);  // at its gate before the engine goes
      runId = h.runId();
    }
    try (RunbookEngine e = RunbookEngine.builder().journal(journal).build()) {
      assertThatThrownBy(() -> e.resume(runId, gated("sha256:bb")))
          .hasMessageContaining("it was started with plan").hasMessageContaining("but this runbook makes plan");
    }
    // accepted (journaled): the run is bound to the new plan; the approval given before no longer counts
    try (RunbookEngine e = RunbookEngine.builder().journal(journal).runbooks(gated("sha256:aa")).build()) {
      e.approve(runId, "approval", "alice", null, null);
    }
    try (RunbookEngine e = RunbookEngine.builder().journal(journal).build()) {
      String hash = e.acceptPlan(runId, gated("sha256:bb"), null, "oncall");
      assertThat(hash).isEqualTo(Plan.of(gated("sha256:bb"), null).hash());
      assertThat(e.history(runId)).last().isInstanceOfSatisfying(RunEvent.PlanAccepted.class, a -> {
        assertThat(a.by()).isEqualTo("oncall");
        assertThat(a.fromPlanHash()).isEqualTo(Plan.of(gated("sha256:aa"), null).hash());
      });
      assertThat(dev.runbook4j.internal.run.RunLedger.fold(runId, e.history(runId)).gateRecord("approval").approvedBy())
          .isEmpty();
      assertThat(e.acceptPlan(runId, gated("sha256:bb"), null, "oncall")).isEqualTo(hash);  // nothing more journaled
      RunHandle h = e.resume(runId, gated("sha256:bb"));
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);  // it needs its approvals again
      assertThatThrownBy(() -> e.acceptPlan(runId, gated("sha256:cc"), null, "oncall"))
          .hasMessageContaining("a changed plan is accepted only for a run no live runner holds");
      e.approve(runId, "approval", "bob", null, null);
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);  // bob's is the first that counts
      e.approve(runId, "approval", "carol", null, null);
      assertThat(h.result().join().state()).isEqualTo(RunState.SUCCEEDED);
      assertThatThrownBy(() -> e.acceptPlan(runId, gated("sha256:cc"), null, "oncall")).hasMessageContaining("has ended");
    }
  }
}
