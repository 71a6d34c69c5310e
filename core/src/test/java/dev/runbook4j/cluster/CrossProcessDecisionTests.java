package dev.runbook4j.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decisions taken in another process of the same runner (the command line's {@code approve} while
 * {@code run} waits): the deciding engine rebuilds the run from the shared journal only far enough
 * to record the decision, and makes the parked run due; the engine that runs it takes it on its
 * heartbeat and goes on.
 */
class CrossProcessDecisionTests {
  @TempDir
  Path dir;

  private final VirtualTime time = VirtualTime.create();
  private final List<String> effects = new CopyOnWriteArrayList<>();

  private Runbook<Void> release() {
    return Runbook.builder("release")
        .step("stage", s -> s.action(ctx -> {
          effects.add("stage");
          return "v2";
        }).compensate((ctx, out) -> effects.add("unstage")))
        .gate("approval", g -> g.approval(a -> a.approvers("alice", "bob", "carol").minApprovals(2)))
        .step("ship", s -> s.action(ctx -> {
          effects.add("ship");
          return "shipped";
        }).compensate((ctx, out) -> effects.add("unship")))
        .sleep("settle", Duration.ofHours(1))
        .step("finish", s -> s.action(ctx -> "done").readOnly())
        .build();
  }

  private JdbcJournal journal() {
    return JdbcJournal.builder("jdbc:sqlite:" + dir.resolve("journal.db")).runner("laptop").build();
  }

  @Test
  void approvalsFromAnotherProcessLetTheWaitingRunGoOn() {
    Runbook<Void> rb = release();
    try (JdbcJournal ja = journal(); JdbcJournal jb = journal();
        RunbookEngine runner = RunbookEngine.builder().virtualTime(time).journal(ja).heartbeat(Duration.ofSeconds(1))
            .build();
        RunbookEngine approver = RunbookEngine.builder().virtualTime(time).journal(jb).runbooks(rb).build()) {
      RunHandle h = runner.start(rb, null, RunOptions.defaults().withRequester("dave"));
      assertThat(h.await().isParked()).isTrue();
      assertThat(runner.load().parked()).isEqualTo(1);

      assertThatThrownBy(() -> approver.approve(h.runId(), "approval", "dave"))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("requested run");
      approver.approve(h.runId(), "approval", "alice");
      time.advance(Duration.ofSeconds(2));  // the runner's heartbeat sees the approval: one of two
      assertThat(runner.status(h.runId()).state()).isEqualTo(RunState.AWAITING_APPROVAL);
      assertThat(effects).containsExactly("stage");

      approver.approve(h.runId(), "approval", "bob");
      time.advance(Duration.ofSeconds(2));  // the heartbeat sees the gate passed and rebuilds the run
      RunResult r = h.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(effects).containsExactly("stage", "ship");
      assertThat(runner.history(h.runId()).stream().filter(RunEvent.ApprovalGranted.class::isInstance)
          .map(e -> ((RunEvent.ApprovalGranted) e).user())).containsExactly("alice", "bob");
      assertThat(ja.verify(h.runId()).ok()).isTrue();
    }
  }

  @Test
  void aCancelFromAnotherProcessRollsTheWaitingRunBack() {
    Runbook<Void> rb = release();
    try (JdbcJournal ja = journal(); JdbcJournal jb = journal();
        RunbookEngine runner = RunbookEngine.builder().virtualTime(time).journal(ja).heartbeat(Duration.ofSeconds(1))
            .build();
        RunbookEngine other = RunbookEngine.builder().virtualTime(time).journal(jb).runbooks(rb).build()) {
      RunHandle h = runner.start(rb, null, RunOptions.defaults().withRequester("dave"));
      h.await();
      other.approve(h.runId(), "approval", "alice");
      other.approve(h.runId(), "approval", "carol");
      time.advance(Duration.ofMinutes(5));  // shipped, now in the hour's sleep, parked
      assertThat(effects).containsExactly("stage", "ship");
      assertThat(runner.load().parked()).isEqualTo(1);

      java.time.Instant cancelledAt = time.now();
      other.cancel(h.runId(), "oncall", "bad numbers");
      RunResult r = h.await();
      // seen at the runner's next heartbeat, not at the end of the hour's sleep
      assertThat(time.now()).isBefore(cancelledAt.plus(Duration.ofSeconds(2)));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(effects).containsExactly("stage", "ship", "unship", "unstage");
      assertThat(r.failure().orElseThrow()).hasMessageContaining("cancelled by oncall: bad numbers");
    }
  }
}
