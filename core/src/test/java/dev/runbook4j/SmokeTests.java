package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmokeTests {
  @Test
  void aThreeStepRunbookSucceedsAndAFailureRollsBack() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("smoke")
          .step("a", h.effect("a"))
          .step("b", h.effect("b"))
          .sleep("pause", Duration.ofHours(2))
          .step("c", h.effect("c"))
          .build();
      RunResult ok = h.engine.run(rb, null);
      assertThat(ok.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a", "do:b", "do:c");
      h.effects.clear();
      h.failing.add("c");
      RunResult bad = h.engine.run(rb, null);
      assertThat(bad.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).containsExactly("do:a", "do:b", "do:c", "undo:c", "undo:b", "undo:a");
      assertThat(bad.compensated()).containsExactly("c", "b", "a");
    }
  }

  /** Stands for a user's method that returns nothing, the case {@code action} cannot take as {@code ctx -> call()}. */
  private static void migrate(java.util.List<String> log, String version) {
    log.add("migrate " + version);
  }

  @Test
  void aStepThatReturnsNothingIsWrittenWithPerformAndHasNoOutput() {
    try (Harness h = new Harness()) {
      java.util.List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      Runbook<String> rb = Runbook.builder("perform", String.class)
          .step("migrate", s -> s.perform(ctx -> migrate(log, ctx.params()))
              .compensate((ctx, out) -> seen.add(String.valueOf(out))))
          .step("after", s -> s.action(ctx -> { seen.add(String.valueOf(ctx.output("migrate"))); throw new IllegalStateException("no"); })
              .readOnly())
          .build();
      RunResult r = h.engine.run(rb, "1.4.2");
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(log).containsExactly("migrate 1.4.2");
      assertThat(seen).containsExactly("null", "null");
    }
  }
}
