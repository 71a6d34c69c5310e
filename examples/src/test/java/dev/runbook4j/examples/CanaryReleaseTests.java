package dev.runbook4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The main example's deployment logic, unit-tested the way the README recommends: on virtual time. */
class CanaryReleaseTests {
  private final VirtualTime time = VirtualTime.create();
  private final CanaryRelease.Release release =
      new CanaryRelease.Release("1.4.2", List.of(10, 50, 100), Duration.ofSeconds(2));

  private RunResult run(Fleet fleet) {
    Runbook<CanaryRelease.Release> runbook = CanaryRelease.runbook(fleet);
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).build()) {
      return engine.run(runbook, release);
    }
  }

  @Test
  void aHealthyCanaryIsPromotedAndTheOldVersionRetired() {
    Fleet fleet = new Fleet("1.4.1");
    RunResult r = run(fleet);
    assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(fleet.stable()).isEqualTo("1.4.2");
    assertThat(fleet.isDeployed("1.4.1")).isFalse();
    assertThat(fleet.changes()).containsExactly("deploy 1.4.2", "route 10% to 1.4.2", "route 50% to 1.4.2",
        "route 100% to 1.4.2", "promote 1.4.2", "remove 1.4.1");
  }

  @Test
  void aCanaryThatBreaksAt50PercentIsRolledBackAndTheOldVersionServesEverything() {
    Fleet fleet = new Fleet("1.4.1").breakWhenAbove("1.4.2", 10);
    RunResult r = run(fleet);
    assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
    assertThat(r.compensated()).containsExactly("canary/shift-2", "canary/shift-1", "deploy");
    assertThat(r.failure().orElseThrow()).hasMessageContaining("Watch 'error-rate'")
        .hasMessageContaining("during bake 'canary/bake-2'");
    assertThat(fleet.stable()).isEqualTo("1.4.1");
    assertThat(fleet.canaryPercent()).isZero();
    assertThat(fleet.isDeployed("1.4.2")).isFalse();
  }

  @Test
  void theWholeReleaseTakesSixSecondsOfBakesOnTheClockAndNoneOnTheWall() {
    Fleet fleet = new Fleet("1.4.1");
    java.time.Instant t0 = time.now();
    run(fleet);
    assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofSeconds(6));
  }
}
