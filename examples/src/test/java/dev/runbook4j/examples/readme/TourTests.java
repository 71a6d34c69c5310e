package dev.runbook4j.examples.readme;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.Plan;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.examples.readme.Tour.Release;
import dev.runbook4j.testing.RunbookTest;
import dev.runbook4j.testing.RunbookTestKit;
import dev.runbook4j.testing.TestRun;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The README's tour runs as the README says, on virtual time. */
@RunbookTest
class TourTests {
  final FakeFleet fleet = new FakeFleet("1.4.1");
  final Tour tour = new Tour(fleet);

  @Test
  void theEngineSnippetTakesTwoApprovalsAndTheRunFinishes(RunbookEngine engine) {
    RunResult r = tour.releaseWithTwoApprovals(engine);
    assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(fleet.serves("1.4.2", 100)).isTrue();
    assertThat(tour.db.migrations).containsExactly("v2");
  }

  @Test
  void aDeployWhoseCallTimedOutIsUndoneByItsParameters(RunbookTestKit kit) {
    kit.faults().failStep("deploy").byTimeout();
    TestRun run = kit.run(tour.release, new Release("1.4.2"));
    assertThat(run).rolledBack().compensated("deploy");
    assertThat(fleet.installed()).isEqualTo(Set.of("1.4.1"));
  }

  @Test
  void thePlanShowsTheMigrationAsThePointOfNoReturn() {
    String text = Plan.of(tour.release, new Release("1.4.2")).toText();
    assertThat(text).contains("step migrate  [undo: IRREVERSIBLE (point of no return)", "bake soak  [duration: 30m]");
  }
}
