package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WaitAndWatchTests {

  @Test
  void twelveHoursOfWaitsPassOnVirtualTimeAndTheClockReadsAsIfTheyHad() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("long")
          .watch("ok", Duration.ofMinutes(1), ctx -> Health.healthy())
          .step("wave-1", h.effect("wave-1")).bake("bake-1", Duration.ofHours(1))
          .step("wave-2", h.effect("wave-2")).bake("bake-2", Duration.ofHours(3))
          .step("wave-3", h.effect("wave-3")).sleep("settle", Duration.ofHours(8))
          .build();
      Instant t0 = h.time.now();
      long wall = System.nanoTime();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofHours(12));
      assertThat(Duration.ofNanos(System.nanoTime() - wall)).isLessThan(Duration.ofSeconds(10));
      RunEvent.WaitStarted bake = h.events(r.runId(), RunEvent.WaitStarted.class).get(1);
      assertThat(bake.deadline()).isEqualTo(bake.at().plus(Duration.ofHours(3)));
    }
  }

  @Test
  void aWatchThatBreachesDuringABakeFailsTheScopeAtThatVirtualInstant() {
    try (Harness h = new Harness()) {
      Instant breachAt = h.time.now().plus(Duration.ofMinutes(7));
      Runbook<Void> rb = Runbook.builder("bake-breach")
          .watch("alarm", Duration.ofMinutes(1),
              ctx -> ctx.clock().instant().isBefore(breachAt) ? Health.healthy() : Health.breached("ALARM"))
          .step("shift", h.effect("shift"))
          .bake("soak", Duration.ofMinutes(30))
          .step("finish", h.effect("finish"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).containsExactly("do:shift", "undo:shift");
      RunEvent.WatchBreached breach = h.events(r.runId(), RunEvent.WatchBreached.class).get(0);
      assertThat(breach.at()).isEqualTo(breachAt);
      assertThat(r.failure().orElseThrow()).hasMessageContaining("breached during bake 'soak': ALARM");
    }
  }

  @Test
  void aGroupWatchIsOnlyCheckedInsideItsGroup() {
    try (Harness h = new Harness()) {
      AtomicInteger groupChecks = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("scoped")
          .step("before", h.effect("before"))
          .group("canary", g -> g
              .watch("canary-health", Duration.ofSeconds(30), ctx -> {
                groupChecks.incrementAndGet();
                return Health.healthy();
              })
              .step("deploy-canary", h.effect("deploy-canary"))
              .bake("canary-soak", Duration.ofMinutes(2)))
          .step("after", h.effect("after"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      // once before deploy-canary, then every 30 s of the 2-minute bake
      assertThat(groupChecks).hasValue(5);
    }
  }

  @Test
  void aWatchWhoseCheckThrowsCountsAsABreach() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("blind")
          .watch("metrics", Duration.ofMinutes(1), ctx -> {
            throw new IllegalStateException("metrics endpoint down");
          })
          .step("a", h.effect("a"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow())
          .hasMessageContaining("its check failed: IllegalStateException: metrics endpoint down");
    }
  }

  @Test
  void waitUntilPollsUntilTheConditionHolds() {
    try (Harness h = new Harness()) {
      AtomicInteger polls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("poll")
          .waitUntil("steady", Duration.ofSeconds(15), Duration.ofMinutes(10), ctx -> polls.incrementAndGet() == 5)
          .step("a", h.effect("a"))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(polls).hasValue(5);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(1));
    }
  }

  @Test
  void aWaitingRunHoldsNoThreadAndReportsWaiting() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("idle").sleep("night", Duration.ofHours(10)).step("a", h.effect("a")).build();
      RunHandle handle = h.engine.start(rb, null, RunOptions.defaults());
      h.time.runUntilIdle();
      assertThat(handle.status().state()).isEqualTo(RunState.WAITING);
      assertThat(h.time.pendingTimers()).isEqualTo(1);
      h.time.advance(Duration.ofHours(10));
      assertThat(handle.await().state()).isEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void thousandsOfWaitingRunsHoldNoThreads() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("many").step("a", s -> s.action(ctx -> null).readOnly())
          .sleep("hour", Duration.ofHours(1)).step("b", s -> s.action(ctx -> null).readOnly()).build();
      int threadsBefore = Thread.activeCount();
      java.util.List<RunHandle> handles = new java.util.ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        handles.add(h.engine.start(rb, null, RunOptions.defaults()));
      }
      h.time.runUntilIdle();
      assertThat(handles).allSatisfy(handle -> assertThat(handle.status().state()).isEqualTo(RunState.WAITING));
      // the engine's pool has 8 workers; 2000 waiting runs add no thread beyond it
      assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 8);
      h.time.advance(Duration.ofHours(1));
      assertThat(handles).allSatisfy(handle -> assertThat(handle.await().state()).isEqualTo(RunState.SUCCEEDED));
    }
  }
}
