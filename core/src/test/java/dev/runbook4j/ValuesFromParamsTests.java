package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A bake's or a sleep's duration taken from the parameters or an earlier output, resolved when reached. */
class ValuesFromParamsTests {
  record Params(Duration soak) {}

  private static final StepKey<String> SIZE = StepKey.of("size", String.class);

  private static Runbook<Params> soaked(Harness h) {
    return Runbook.builder("soaked", Params.class)
        .watch("errors", Duration.ofMinutes(1), ctx -> Health.healthy())
        .step(SIZE, s -> s.action(ctx -> "large").readOnly())
        .bake("soak", "params.soak", ctx -> ctx.params().soak(), w -> { })
        .sleep("settle", "longer for a large fleet", ctx -> ctx.output(SIZE).equals("large") ? Duration.ofMinutes(20)
            : Duration.ofMinutes(5), w -> { })
        .step("after", h.effect("after"))
        .build();
  }

  @Test
  void theDurationsAreResolvedWhenTheRunReachesTheirWaitsAndJournaledAsDeadlines() {
    try (Harness h = new Harness()) {
      java.time.Instant t0 = h.time.now();
      RunResult r = h.engine.run(soaked(h), new Params(Duration.ofMinutes(45)));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(65));
      assertThat(h.events(r.runId(), RunEvent.WaitStarted.class)).extracting(e -> Duration.between(t0, e.deadline()))
          .containsExactly(Duration.ofMinutes(45), Duration.ofMinutes(65));
    }
  }

  @Test
  void thePlanShowsTheValueTheParametersGiveAndRefusesABadOneBeforeTheRunStarts() {
    try (Harness h = new Harness()) {
      assertThat(Plan.of(soaked(h), new Params(Duration.ofMinutes(45))).toText()).contains(
          "bake soak  [duration: 45m (params.soak)]",
          "sleep settle  [duration: longer for a large fleet, when reached]");
      assertThatThrownBy(() -> h.engine.run(soaked(h), new Params(Duration.ZERO)))
          .isInstanceOf(RunbookDefinitionException.class)
          .hasMessageContaining("bake 'soak': duration (params.soak) must be positive, was 0s");
      assertThat(h.journal.runIds()).isEmpty();
    }
  }

  @Test
  void aBadValueOnlyTheRunKnowsRollsBackWithTheSameMessage() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("late")
          .step(SIZE, s -> s.action(ctx -> "none").compensate((ctx, o) -> { }))
          .sleep("settle", "by size", ctx -> ctx.output(SIZE).equals("none") ? Duration.ZERO : Duration.ofMinutes(1),
              w -> { })
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow()).hasMessage("sleep 'settle' of run " + r.runId()
          + " (late): duration (by size) must be positive, was 0s; rolling back");
    }
  }
}
