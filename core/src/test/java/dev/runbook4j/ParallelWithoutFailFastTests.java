package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code parallel(failFast: false)}: a failed branch lets the others finish, then the run rolls back. */
class ParallelWithoutFailFastTests {
  private static Runbook<Void> regions(Harness h, boolean failFast) {
    return Runbook.builder("regions")
        .parallel("waves", p -> p.failFast(failFast)
            .branch("eu", b -> b.step("eu-1", h.effect("eu-1")))
            .branch("us", b -> b.sleep("us-soak", Duration.ofMinutes(5)).step("us-1", h.effect("us-1"))
                .step("us-2", h.effect("us-2"))))
        .step("after", h.effect("after"))
        .build();
  }

  @Test
  void theOtherBranchesGoOnToTheirEndAndThenEveryStartedStepIsUndone() {
    try (Harness h = new Harness()) {
      h.failing.add("eu-1");
      RunResult r = h.engine.run(regions(h, false), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.started()).containsExactly("waves/eu/eu-1", "waves/us/us-1", "waves/us/us-2");
      assertThat(r.compensated()).containsExactly("waves/us/us-2", "waves/us/us-1", "waves/eu/eu-1");
      assertThat(h.effects).doesNotContain("do:after");
      assertThat(Plan.of(regions(h, false), null).toText())
          .contains("parallel waves  [failFast: false: the other branches finish before a failure rolls back]");
    }
  }

  @Test
  void byDefaultTheOtherBranchesStartNoNewNode() {
    try (Harness h = new Harness()) {
      h.failing.add("eu-1");
      RunResult r = h.engine.run(regions(h, true), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.started()).containsExactly("waves/eu/eu-1");
    }
  }

  @Test
  void aFailureInsideABranchStillStopsTheRestOfThatBranch() {
    try (Harness h = new Harness()) {
      h.failing.add("us-1");
      RunResult r = h.engine.run(regions(h, false), null);
      assertThat(r.started()).containsExactly("waves/eu/eu-1", "waves/us/us-1");
      assertThat(h.effects).doesNotContain("do:us-2");
    }
  }
}
