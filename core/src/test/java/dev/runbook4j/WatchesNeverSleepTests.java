package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A watch in scope is checked on its interval for as long as the run is inside its scope — not only
 * between steps and during bakes: during a sleep, an approval, a retry's backoff, a wait for a lock
 * and while an action runs. Each breach below rolls the run back at the first check after the alarm
 * fires, on virtual time (a canary held at an approval for hours with its alarm firing is not left
 * running).
 */
class WatchesNeverSleepTests {
  private static final Duration EVERY = Duration.ofMinutes(1);

  /** A watch that breaches from {@code at} on. */
  private static Runbook.Builder<Void> watched(String name, Instant at) {
    return Runbook.builder(name).watch("alarm", EVERY,
        ctx -> ctx.clock().instant().isBefore(at) ? Health.healthy() : Health.breached("5xx above 1%"));
  }

  private static void breachedAt(Harness h, RunResult r, Instant at, String where) {
    assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
    List<RunEvent.WatchBreached> breaches = h.events(r.runId(), RunEvent.WatchBreached.class);
    assertThat(breaches).hasSize(1);
    assertThat(breaches.get(0).at()).isEqualTo(at);
    assertThat(r.failure().orElseThrow()).hasMessageContaining("breached " + where + ": 5xx above 1%");
    RunEvent.CompensationStarted first = h.events(r.runId(), RunEvent.CompensationStarted.class).get(0);
    assertThat(first.at()).isEqualTo(at);  // the rollback starts at the check that saw the breach
  }

  @Test
  void aBreachDuringASleepRollsTheRunBackAtTheNextCheck() {
    try (Harness h = new Harness()) {
      Instant alarm = h.time.now().plus(Duration.ofMinutes(90)).plusSeconds(20);
      Runbook<Void> rb = watched("sleepy", alarm)
          .step("canary", h.effect("canary"))
          .sleep("hold", Duration.ofHours(4))
          .step("full", h.effect("full"))
          .build();
      RunResult r = h.engine.run(rb, null);
      breachedAt(h, r, h.events(r.runId(), RunEvent.WaitStarted.class).get(0).at().plus(Duration.ofMinutes(91)),
          "during sleep 'hold'");
      assertThat(h.effects).containsExactly("do:canary", "undo:canary");
    }
  }

  @Test
  void aBreachWhileTheRunAwaitsApprovalRollsItBackWithoutAnyDecision() {
    try (Harness h = new Harness()) {
      Instant alarm = h.time.now().plus(Duration.ofHours(2));
      Runbook<Void> rb = watched("held-canary", alarm)
          .step("canary", h.effect("canary"))
          .gate("promote", g -> g.approval(a -> a.approvers("alice").timeout(Duration.ofHours(4))))
          .step("full", h.effect("full"))
          .build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      assertThat(handle.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      h.time.advance(Duration.ofHours(3));
      RunResult r = handle.result().join();
      breachedAt(h, r, alarm, "while gate 'promote' awaits approval");
      assertThat(h.effects).containsExactly("do:canary", "undo:canary");
      assertThat(h.events(r.runId(), RunEvent.GateRejected.class)).isEmpty();
    }
  }

  @Test
  void aBreachDuringARetryBackoffRollsTheRunBackWithoutAnotherAttempt() {
    try (Harness h = new Harness()) {
      Instant alarm = h.time.now().plus(Duration.ofMinutes(3));
      h.failing.add("flaky");
      Runbook<Void> rb = watched("backoff", alarm)
          .step("canary", h.effect("canary"))
          .step("flaky", s -> h.<Void>effect("flaky").accept(s.retry(RetrySpec.builder().maxAttempts(3)
              .backoff(Duration.ofMinutes(10)).jitter(0).build())))
          .build();
      RunResult r = h.engine.run(rb, null);
      breachedAt(h, r, alarm, "during the retry delay of step 'flaky'");
      assertThat(h.effects).containsExactly("do:canary", "do:flaky", "undo:flaky", "undo:canary");
    }
  }

  @Test
  void aBreachWhileAnActionRunsInterruptsItAndTheStepCountsAsStarted() {
    try (Harness h = new Harness()) {
      Instant alarm = h.time.now().plus(Duration.ofMinutes(5));
      Runbook<Void> rb = watched("long-action", alarm)
          .step("canary", h.effect("canary"))
          .step("migrate", s -> s.action(ctx -> {
            h.effects.add("do:migrate");
            ctx.sleep(Duration.ofHours(1));  // a long call: the watch goes on being checked
            h.effects.add("migrated");
            return "done";
          }).compensate((ctx, out) -> h.effects.add("undo:migrate")))
          .build();
      RunResult r = h.engine.run(rb, null);
      breachedAt(h, r, alarm, "while step 'migrate' runs");
      assertThat(h.effects).containsExactly("do:canary", "do:migrate", "undo:migrate", "undo:canary");
      assertThat(r.started()).containsExactly("canary", "migrate");
    }
  }

  @Test
  void aBreachWhileTheRunWaitsForALockRollsItBack() {
    try (Harness h = new Harness()) {
      Instant alarm = h.time.now().plus(Duration.ofMinutes(30));
      Runbook<Void> holder = Runbook.builder("holder").lock("db")
          .step("long", s -> s.action(ctx -> "x").readOnly())
          .gate("hold", g -> g.approval(a -> a.approvers("alice")))
          .build();
      Runbook<Void> waiter = watched("waiter", alarm).lock("db")
          .step("migrate", h.effect("migrate"))
          .build();
      RunHandle first = h.engine.start(holder, null, RunOptions.defaults().withRequester("bob"));
      assertThat(first.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      RunHandle second = h.engine.start(waiter, null, RunOptions.defaults());
      h.time.advance(Duration.ofHours(1));
      RunResult r = second.result().join();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow()).hasMessageContaining("breached while waiting for lock 'db'");
      assertThat(h.effects).isEmpty();
      assertThat(h.events(r.runId(), RunEvent.WatchBreached.class).get(0).at()).isEqualTo(alarm);
    }
  }
}
