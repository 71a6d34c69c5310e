package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A run-level timeout: from the journaled start, across waits, approvals and restarts; then a rollback. */
class RunTimeoutTests {
  private static Runbook<Void> bounded(Harness h) {
    return Runbook.builder("bounded")
        .timeout(Duration.ofHours(2))
        .step("a", h.effect("a"))
        .bake("soak", Duration.ofHours(3))
        .watch("ok", Duration.ofMinutes(10), ctx -> Health.healthy())
        .step("b", h.effect("b"))
        .build();
  }

  @Test
  void aWaitLongerThanWhatIsLeftEndsAtTheRunsDeadlineAndTheRunRollsBack() {
    try (Harness h = new Harness()) {
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(bounded(h), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofHours(2));
      assertThat(r.compensated()).containsExactly("a");
      assertThat(h.effects).doesNotContain("do:b");
      assertThat(r.failure().orElseThrow()).isInstanceOf(RunTimedOutException.class)
          .hasMessageStartingWith("Run " + r.runId() + " (bounded) passed its timeout of 2h");
      assertThat(Plan.of(bounded(h), null).toText()).contains("timeout: 2h (from the run's start; then it rolls back)");
    }
  }

  @Test
  void anApprovalWithoutATimeoutOfItsOwnEndsAtTheRunsDeadline() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("waiting")
          .timeout(Duration.ofHours(1))
          .step("a", h.effect("a"))
          .gate("go", g -> g.approval(a -> a.approvers("alice")))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults().withRequester("dev"));
      h.time.advance(Duration.ofMinutes(61));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow()).hasMessageContaining("timeout of 1h");
    }
  }

  @Test
  void aRestartDoesNotMoveTheDeadline() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    Instant t0 = time.now();
    Runbook<Void> rb = Runbook.builder("restarted")
        .timeout(Duration.ofHours(1))
        .step("a", s -> s.action(ctx -> "a").compensate((ctx, o) -> { }))
        .sleep("long", Duration.ofHours(5))
        .build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("t1"));
      time.advance(Duration.ofMinutes(40));  // the process dies 40 minutes in
    }
    time.advance(Duration.ofMinutes(10));
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("t1", rb).await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofHours(1));  // not 1 h after the restart
    }
  }
}
