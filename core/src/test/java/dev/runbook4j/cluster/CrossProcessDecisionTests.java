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
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decisions taken by another engine on the shared journal (the command line's {@code approve}
 * while {@code run} waits): the deciding engine writes the decision on the run's journal alone,
 * only if nothing was written since it read it, and makes a parked run due; the engine that drives
 * the run sees it within a second, whether the run waits in the journal or in memory, and goes on.
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

  private JdbcJournal runner(String id) {
    return JdbcJournal.builder("jdbc:sqlite:" + dir.resolve("journal.db")).runner(id).build();
  }

  @Test
  void aCancelFromAnotherRunnerDuringAShortWaitInMemoryRollsTheRunBackWithinASecond() {
    Runbook<Void> rb = Runbook.builder("short")
        .step("stage", s -> s.action(ctx -> effects.add("stage")).compensate((ctx, out) -> effects.add("unstage")))
        .sleep("settle", Duration.ofSeconds(30))  // shorter than the parking threshold: it waits in memory
        .step("ship", s -> s.action(ctx -> effects.add("ship")).compensate((ctx, out) -> effects.add("unship")))
        .build();
    try (JdbcJournal ja = runner("a"); JdbcJournal jb = runner("b");
        RunbookEngine a = RunbookEngine.builder().virtualTime(time).journal(ja).build();
        RunbookEngine b = RunbookEngine.builder().virtualTime(time).journal(jb).build()) {
      RunHandle h = a.start(rb, null, RunOptions.defaults());
      time.advance(Duration.ofSeconds(5));
      assertThat(a.load().inMemory()).isEqualTo(1);
      assertThat(b.where(h.runId()).place()).isEqualTo(dev.runbook4j.RunPlace.Place.DRIVEN_ELSEWHERE);
      java.time.Instant cancelledAt = time.now();
      b.cancel(h.runId(), "oncall", "bad numbers");
      RunResult r = h.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(time.now()).isBefore(cancelledAt.plusSeconds(2));
      assertThat(effects).containsExactly("stage", "unstage");
      assertThat(ja.read(h.runId()).stream().filter(RunEvent.CancelRequested.class::isInstance)).hasSize(1);
    }
  }

  @Test
  void aLiveRunDoesNotActOnAForgedApprovalInItsKeyedJournalItStopsSayingSo() throws Exception {
    Runbook<Void> rb = Runbook.builder("fan")
        .parallel("both", p -> p
            .branch("east", b -> b
                .gate("go", g -> g.approval(a -> a.approvers("alice")))
                .step("ship-east", s -> s.action(ctx -> effects.add("east")).compensate((ctx, o) -> {})))
            .branch("west", b -> b.step("ship-west", s -> s.action(ctx -> effects.add("west"))
                .compensate((ctx, o) -> {}))))
        .build();
    byte[] key = "a journal key of thirty-two byte".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String url = "jdbc:sqlite:" + dir.resolve("keyed.db");
    try (JdbcJournal ja = JdbcJournal.builder(url).runner("a").key(key).build();
        RunbookEngine a = RunbookEngine.builder().virtualTime(time).journal(ja).build()) {
      List<String> paused = new CopyOnWriteArrayList<>();
      a.onEvent(new dev.runbook4j.RunListener() {
        @Override
        public void onEvent(RunEvent event) {}

        @Override
        public void onStoragePaused(StoragePause p) {
          paused.add(p.problem());
        }
      });
      RunHandle h = a.start(rb, null, RunOptions.defaults().withRequester("dave"));
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      assertThat(a.load().inMemory()).isEqualTo(1);  // several strands: it waits in memory
      String plan = ja.read(h.runId()).stream().filter(RunEvent.RunStarted.class::isInstance)
          .map(e -> ((RunEvent.RunStarted) e).planHash()).findFirst().orElseThrow();
      // someone who can write the file, not the key: the approval and the gate's pass, chained with SHA-256
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(url)) {
        dev.runbook4j.journal.Forger.append(c, h.runId(), List.of(
            new RunEvent.ApprovalGranted(h.runId(), "both/east/go", "alice", "", plan, time.now()),
            new RunEvent.GatePassed(h.runId(), "both/east/go", time.now())));
      }
      time.advance(Duration.ofSeconds(2));  // the driving engine reads what was written within a second
      assertThat(effects).containsExactly("west");  // east was never shipped on the forged approval
      assertThat(paused).isNotEmpty();
      assertThat(paused.get(0)).contains("does not verify", "a forgery", "nothing the journal holds now is acted on");
      time.advance(Duration.ofSeconds(10));  // its retries find the journal still does not verify
      assertThat(effects).containsExactly("west");
      assertThat(a.status(h.runId()).state()).isNotEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void anApprovalFromAnotherRunnerReachesAGateInsideAParallelBranchOfALiveRun() {
    Runbook<Void> rb = Runbook.builder("fan")
        .parallel("both", p -> p
            .branch("east", b -> b
                .gate("go", g -> g.approval(a -> a.approvers("alice")))
                .step("ship-east", s -> s.action(ctx -> effects.add("east")).compensate((ctx, o) -> {})))
            .branch("west", b -> b.step("ship-west", s -> s.action(ctx -> effects.add("west"))
                .compensate((ctx, o) -> {}))))
        .build();
    try (JdbcJournal ja = runner("a"); JdbcJournal jb = runner("b");
        RunbookEngine a = RunbookEngine.builder().virtualTime(time).journal(ja).build();
        RunbookEngine b = RunbookEngine.builder().virtualTime(time).journal(jb).runbooks(rb).build()) {
      List<String> heard = new CopyOnWriteArrayList<>();
      a.onEvent(e -> heard.add(e.getClass().getSimpleName()));
      RunHandle h = a.start(rb, null, RunOptions.defaults().withRequester("dave"));
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      assertThat(a.load().inMemory()).isEqualTo(1);  // several strands: it waits in memory
      b.approve(h.runId(), "go", "alice");
      assertThatThrownBy(() -> b.approve(h.runId(), "go", "alice")).isInstanceOf(ApprovalException.class)
          .hasMessageContaining("has been decided already: passed, approved by alice");
      time.advance(Duration.ofSeconds(2));  // the driving engine sees the approval within a second
      assertThat(a.status(h.runId()).state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(effects).containsExactlyInAnyOrder("east", "west");
      // the driving engine's listeners hear of the decision taken elsewhere, once
      assertThat(heard.stream().filter(t -> t.equals("ApprovalGranted") || t.equals("GatePassed")))
          .containsExactly("ApprovalGranted", "GatePassed");
      assertThat(ja.read(h.runId()).stream().filter(RunEvent.GatePassed.class::isInstance)).hasSize(1);
    }
  }

  @Test
  void aGatesTimeoutAndAnApprovalAreNeverBothRecorded() {
    Runbook<Void> rb = Runbook.builder("timed")
        .parallel("both", p -> p
            .branch("east", b -> b.gate("go", g -> g.approval(a -> a.approvers("alice").timeout(Duration.ofMinutes(5)))))
            .branch("west", b -> b.sleep("w", Duration.ofSeconds(1))))
        .build();
    try (JdbcJournal ja = runner("a"); JdbcJournal jb = runner("b");
        RunbookEngine a = RunbookEngine.builder().virtualTime(time).journal(ja).build();
        RunbookEngine b = RunbookEngine.builder().virtualTime(time).journal(jb).runbooks(rb).build()) {
      RunHandle h = a.start(rb, null, RunOptions.defaults().withRequester("dave"));
      time.advance(Duration.ofMinutes(6));
      assertThat(a.status(h.runId()).state()).isEqualTo(RunState.ROLLED_BACK);
      assertThatThrownBy(() -> b.approve(h.runId(), "go", "alice")).isInstanceOf(ApprovalException.class)
          .hasMessageContaining("has ended ROLLED_BACK");
      List<RunEvent> events = ja.read(h.runId());
      assertThat(events.stream().filter(e -> e instanceof RunEvent.GatePassed || e instanceof RunEvent.GateRejected))
          .hasSize(1);
    }
  }
}
