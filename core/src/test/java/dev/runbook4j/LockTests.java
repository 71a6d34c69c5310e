package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Locks in one engine: queue policies, fencing tokens, and the hand release of a kept lock. */
class LockTests {
  private static Runbook<Void> locked(Harness h, String name, LockPolicy policy) {
    return Runbook.builder(name).lock("db", policy)
        .step("change", s -> s.action(ctx -> {
          h.effects.add(ctx.runId() + " token " + ctx.fencingToken("db").orElseThrow());
          ctx.sleep(java.time.Duration.ofMinutes(1));
          return "ok";
        }).compensate((ctx, out) -> {}))
        .build();
  }

  private static RunHandle start(Harness h, Runbook<Void> rb) {
    RunHandle r = h.engine.start(rb, null, RunOptions.defaults());
    h.time.runUntilIdle();
    return r;
  }

  @Test
  void fifoGrantsInTheOrderAskedEachUnderANewerToken() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = locked(h, "fifo", LockPolicy.FIFO);
      List<RunHandle> runs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        runs.add(start(h, rb));
      }
      runs.forEach(r -> assertThat(r.await().state()).isEqualTo(RunState.SUCCEEDED));
      assertThat(h.effects).containsExactly(runs.get(0).runId() + " token 1", runs.get(1).runId() + " token 2",
          runs.get(2).runId() + " token 3");
    }
  }

  @Test
  void latestWinsEndsTheRunsStillWaitingAndNeverTheHolder() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = locked(h, "latest", LockPolicy.LATEST_WINS);
      RunHandle holder = start(h, rb);
      RunHandle waiting = start(h, rb);
      RunHandle newest = start(h, rb);
      RunResult superseded = waiting.await();
      assertThat(superseded.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(superseded.started()).isEmpty();
      assertThat(superseded.failure().orElseThrow()).isInstanceOf(RunCancelledException.class)
          .hasMessageContaining("superseded by run " + newest.runId() + " (lock 'db' is latest-wins)");
      assertThat(holder.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(newest.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly(holder.runId() + " token 1", newest.runId() + " token 2");
      assertThat(h.events(waiting.runId(), RunEvent.CancelRequested.class)).singleElement()
          .satisfies(c -> assertThat(c.by()).isEqualTo("lock db"));
    }
  }

  @Test
  void failFastEndsTheRunAtOnceNamingTheHolder() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = locked(h, "ff", LockPolicy.FAIL_FAST);
      RunHandle holder = start(h, rb);
      RunHandle refused = start(h, rb);
      assertThat(refused.status().state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(refused.await().failure().orElseThrow()).isInstanceOf(LockUnavailableException.class)
          .hasMessage("Run " + refused.runId() + " (ff) did not start: lock 'db' is held by run " + holder.runId()
              + " and the lock's policy is fail-fast");
      assertThat(holder.await().state()).isEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void aKeptLockIsReleasedByHandOnlyAfterItsRunEndedAndTheReleaseIsJournaled() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      h.failingUndo.add("a");
      Runbook<Void> broken = Runbook.builder("broken").lock("db").step("a", h.effect("a")).step("b", h.effect("b"))
          .build();
      RunResult failed = h.engine.run(broken, null);
      assertThat(failed.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      RunHandle next = start(h, locked(h, "next", LockPolicy.FIFO));
      assertThat(next.status().active()).containsExactly("lock:db");
      assertThat(h.engine.releaseLock("db", "alice", "fixed by hand")).isEqualTo(failed.runId());

      assertThat(next.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.events(failed.runId(), RunEvent.LockForceReleased.class)).singleElement()
          .satisfies(e -> assertThat(e.by() + ": " + e.reason()).isEqualTo("alice: fixed by hand"));
    }
  }

  @Test
  void aLockHeldByARunThatHasNotEndedIsNotReleasedByHand() {
    try (Harness h = new Harness()) {
      RunHandle holder = start(h, locked(h, "live", LockPolicy.FIFO));
      assertThatThrownBy(() -> h.engine.releaseLock("db", "bob", "")).isInstanceOf(IllegalStateException.class)
          .hasMessage("Lock 'db' is held by run " + holder.runId() + " (live), which is RUNNING; a lock is released"
              + " by hand only after its run has ended (cancel the run instead)");
      assertThatThrownBy(() -> h.engine.releaseLock("other", "bob", "")).isInstanceOf(IllegalStateException.class)
          .hasMessage("Lock 'other' is not held by any run");
      assertThat(holder.await().state()).isEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void plansShowAndHashTheQueuePolicy() {
    Runbook<Void> fifo = Runbook.builder("p").lock("db").step("s", s -> s.action(ctx -> 1).readOnly()).build();
    Runbook<Void> latest = Runbook.builder("p").lock("db", LockPolicy.LATEST_WINS)
        .step("s", s -> s.action(ctx -> 1).readOnly()).build();
    assertThat(Plan.of(fifo, null).toText()).contains("  locks: db\n");
    assertThat(Plan.of(latest, null).toText()).contains("  locks: db (latest-wins)\n");
    assertThat(Plan.of(latest, null).hash()).isNotEqualTo(Plan.of(fifo, null).hash());
  }
}
