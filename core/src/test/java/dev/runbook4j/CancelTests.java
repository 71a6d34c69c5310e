package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CancelTests {

  @Test
  void cancelDuringABakeStopsTheWaitAndRollsBack() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("c1")
          .watch("ok", Duration.ofMinutes(1), ctx -> Health.healthy())
          .step("a", h.effect("a")).bake("soak", Duration.ofHours(6)).step("b", h.effect("b")).build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      h.time.advance(Duration.ofMinutes(30));
      h.engine.cancel(handle.runId(), "oncall", null);
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).containsExactly("do:a", "undo:a");
      assertThat(h.time.pendingTimers()).isZero();
    }
  }

  @Test
  void cancelWhileAwaitingApprovalRollsBack() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("c2")
          .step("a", h.effect("a"))
          .gate("approval", g -> g.approval(a -> a.approvers("bob").timeout(Duration.ofHours(1))))
          .step("b", h.effect("b")).build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults().withRequester("alice"));
      assertThat(handle.await().isParked()).isTrue();
      h.engine.cancel(handle.runId(), "alice", "changed my mind");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("a");
      assertThat(h.time.pendingTimers()).isZero();
    }
  }

  @Test
  void cancelWhileARetryIsPendingRollsBackTheFailedStep() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      Runbook<Void> rb = Runbook.builder("c3")
          .step("a", h.effect("a"))
          .step("b", s -> h.<Void>effect("b").accept(s.retry(RetrySpec.builder().maxAttempts(5)
              .backoff(Duration.ofMinutes(10)).build())))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      assertThat(handle.status().state()).isEqualTo(RunState.WAITING);
      h.engine.cancel(handle.runId(), "oncall", "");
      RunResult r = handle.await();
      assertThat(r.compensated()).containsExactly("b", "a");
    }
  }

  @Test
  void cancelWhileWaitingForALockLeavesTheQueueAndCompensatesNothing() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("c4").lock("db")
          .step("a", h.effect("a")).sleep("hold", Duration.ofHours(1)).build();
      RunHandle first = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();  // the first run holds the lock
      RunHandle second = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      h.engine.cancel(second.runId(), "oncall", "");
      RunResult r2 = second.await();
      assertThat(r2.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r2.started()).isEmpty();
      assertThat(first.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a");
    }
  }

  @Test
  void cancellingAnEndedRunChangesNothing() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("c5").step("a", h.effect("a")).build();
      RunResult r = h.engine.run(rb, null);
      RunStatus s = h.engine.cancel(r.runId(), "oncall", "");
      assertThat(s.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.events(r.runId(), RunEvent.CancelRequested.class)).isEmpty();
    }
  }
}
