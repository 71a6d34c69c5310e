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
}
