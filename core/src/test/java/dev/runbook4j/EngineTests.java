package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class EngineTests {
  record Params(String version) {}

  @Test
  void listenersReceiveTypedEventsAndAThrowingListenerNeverBreaksARun() {
    try (Harness h = new Harness()) {
      List<RunEvent> seen = new CopyOnWriteArrayList<>();
      Subscription sub = h.engine.onEvent(seen::add);
      h.engine.onEvent(e -> {
        throw new IllegalStateException("listener bug");
      });
      Runbook<Void> rb = Runbook.builder("events").step("a", h.effect("a")).build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(seen).extracting(e -> e.getClass().getSimpleName()).containsExactly(
          "RunStarted", "StepStarted", "StepSucceeded", "RunStateChanged", "RunFinished");
      assertThat(seen).isEqualTo(h.events(r.runId()));
      assertThat(h.engine.status(r.runId()).listenerFailures()).isEqualTo(5);
      sub.close();
      h.engine.run(rb, null);
      assertThat(seen).hasSize(5);
    }
  }

  @Test
  void everyStateTransitionIsAnEvent() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      Runbook<Void> rb = Runbook.builder("states")
          .step("a", h.effect("a")).sleep("s", Duration.ofMinutes(1)).step("b", h.effect("b")).build();
      RunResult r = h.engine.run(rb, null);
      assertThat(h.events(r.runId(), RunEvent.RunStateChanged.class)).extracting(RunEvent.RunStateChanged::to)
          .containsExactly(RunState.WAITING, RunState.RUNNING, RunState.ROLLING_BACK, RunState.ROLLED_BACK);
      assertThat(h.engine.history(r.runId())).last().isInstanceOf(RunEvent.RunFinished.class);
    }
  }

  @Test
  void startingTheSameRunIdTwiceReturnsTheSameRun() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("idem", Params.class)
          .sleep("wait", Duration.ofMinutes(1))
          .step("a", s -> s.action(ctx -> h.effects.add("do:a")).compensate((ctx, o) -> {}))
          .build();
      RunOptions opts = RunOptions.defaults().withRunId("deploy-42");
      RunHandle first = h.engine.start(rb, new Params("1.0.0"), opts);
      RunHandle second = h.engine.start(rb, new Params("1.0.0"), opts);
      assertThat(second.runId()).isEqualTo(first.runId());
      assertThat(second.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a");
      assertThatThrownBy(() -> h.engine.start(rb, new Params("2.0.0"), opts))
          .isInstanceOf(RunbookDefinitionException.class)
          .hasMessageStartingWith("Run id 'deploy-42' is invalid (1 problem):\n  - it is taken by a run of runbook"
              + " 'idem' with plan");
    }
  }

  @Test
  void theIdempotencyKeyIsStablePerRunAndStepAndVisibleToTheAction() {
    try (Harness h = new Harness()) {
      Map<String, String> keys = new ConcurrentHashMap<>();
      Runbook<Void> rb = Runbook.builder("keys")
          .step("a", s -> s.action(ctx -> keys.put("a", ctx.idempotencyKey())).compensate((ctx, o) -> {}))
          .step("b", s -> s.action(ctx -> keys.put("b", ctx.idempotencyKey())).compensate((ctx, o) -> {}))
          .build();
      RunResult r = h.engine.run(rb, null, RunOptions.defaults().withRunId("r1"));
      assertThat(keys).containsEntry("a", "r1:a").containsEntry("b", "r1:b");
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void actionsSeeTheRunAndStepInTheLoggingContext() {
    try (Harness h = new Harness()) {
      Map<String, String> mdc = new ConcurrentHashMap<>();
      Runbook<Void> rb = Runbook.builder("mdc")
          .step("a", s -> s.action(ctx -> {
            mdc.putAll(MDC.getCopyOfContextMap());
            return null;
          }).readOnly())
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(mdc).containsEntry("runId", r.runId()).containsEntry("step", "a");
    }
  }

  @Test
  void runsOnTheSameLockKeyRunOneAfterTheOtherInStartOrder() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("locked", Params.class).lock(p -> "web-prod")
          .step("deploy", s -> s.action(ctx -> h.effects.add("start:" + ctx.params().version()))
              .compensate((ctx, o) -> {}))
          .sleep("bake", Duration.ofMinutes(10))
          .step("done", s -> s.action(ctx -> h.effects.add("end:" + ctx.params().version())).readOnly())
          .build();
      // each start is let settle, so that the start order is the order the lock queue sees
      RunHandle r1 = h.engine.start(rb, new Params("1"), RunOptions.defaults());
      h.time.runUntilIdle();
      RunHandle r2 = h.engine.start(rb, new Params("2"), RunOptions.defaults());
      h.time.runUntilIdle();
      RunHandle r3 = h.engine.start(rb, new Params("3"), RunOptions.defaults());
      assertThat(r3.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r1.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r2.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("start:1", "end:1", "start:2", "end:2", "start:3", "end:3");
    }
  }

  @Test
  void anUnknownRunIsReportedByName() {
    try (Harness h = new Harness()) {
      assertThatThrownBy(() -> h.engine.status("nope")).isInstanceOf(UnknownRunException.class)
          .hasMessage("No run 'nope' in this engine's journal");
    }
  }

  @Test
  void aNewEngineOnTheSameJournalReportsTheStatusOfOldRuns() {
    try (Harness h = new Harness()) {
      h.failing.add("b");
      Runbook<Void> rb = Runbook.builder("old").step("a", h.effect("a")).step("b", h.effect("b")).build();
      RunResult r = h.engine.run(rb, null);
      try (RunbookEngine other = RunbookEngine.builder().journal(h.journal).build()) {
        RunStatus s = other.status(r.runId());
        assertThat(s.state()).isEqualTo(RunState.ROLLED_BACK);
        assertThat(s.started()).containsExactly("a", "b");
        assertThat(s.compensated()).containsExactly("b", "a");
        assertThat(other.runs()).containsExactly(r.runId());
      }
    }
  }

  @Test
  void theRealClockEngineRunsARunbookEndToEnd() {
    try (RunbookEngine engine = RunbookEngine.builder().build()) {
      List<String> log = new CopyOnWriteArrayList<>();
      Runbook<Void> rb = Runbook.builder("real")
          .step("a", s -> s.action(ctx -> log.add("a")).compensate((ctx, o) -> log.add("undo a")))
          .step("b", s -> s.action(ctx -> {
            throw new IllegalStateException("b");
          }).compensate((ctx, o) -> log.add("undo b")).timeout(Duration.ofSeconds(30)))
          .build();
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(log).containsExactly("a", "undo b", "undo a");
    }
  }
}
