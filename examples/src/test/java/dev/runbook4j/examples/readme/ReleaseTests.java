package dev.runbook4j.examples.readme;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;

import dev.runbook4j.Runbook;
import dev.runbook4j.examples.readme.Tour.Release;
import dev.runbook4j.testing.RunbookTest;
import dev.runbook4j.testing.RunbookTestKit;
import dev.runbook4j.testing.TestRun;
import org.junit.jupiter.api.Test;

/** The README's kit test, on the tour's runbook (the two lines outside the tags give it one). */
// tag::kit-test[]
@RunbookTest
class ReleaseTests {
// end::kit-test[]
  final FakeFleet fleet = new FakeFleet("1.4.1");
  final Runbook<Release> release = Releases.runbook(fleet);

// tag::kit-test[]
  @Test
  void aTimeoutAtTheShiftRollsBack(RunbookTestKit kit) {
    kit.faults().failStep("shift").byTimeout().and().approveAs("approval", "alice", "bob");
    TestRun run = kit.run(release, new Release("1.4.2"));
    assertThat(run).rolledBack().compensated("shift", "deploy").inOrder();
    assertThat(run).journal().hasNoDuplicateEffects();
  }
}
// end::kit-test[]
