package dev.runbook4j.examples.readme;

import dev.runbook4j.examples.readme.Tour.Release;
import dev.runbook4j.testing.ExploreFailures;
import dev.runbook4j.testing.Subject;
import dev.runbook4j.testing.TestRun;

/** The README's exploration of the tour's runbook: every failure point, each a JUnit invocation. */
class EveryFailureTests {
  // tag::explore[]
  final FakeFleet fleet = new FakeFleet("1.4.1");     // fresh for every path: JUnit makes a new instance

  Subject<Release> subject() {
    return Subject.of(Releases.runbook(fleet), new Release("1.4.2"))
        .whenRolledBack("1.4.1 serves everything again", () -> fleet.serves("1.4.1", 100));
  }

  @ExploreFailures
  void everyFailureRollsBack(TestRun run) { }        // each invocation fails if its path does not hold
  // end::explore[]
}
