package dev.runbook4j.examples;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.Plan;
import dev.runbook4j.examples.ServiceRelease.Release;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.ExploreFailures;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.FailurePoint;
import dev.runbook4j.testing.PathResult;
import dev.runbook4j.testing.RunbookTest;
import dev.runbook4j.testing.RunbookTestKit;
import dev.runbook4j.testing.Subject;
import dev.runbook4j.testing.TestRun;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * How a team tests its deployment logic: a few targeted tests with the kit, then every failure
 * path proved by exploration, each path a test of its own.
 */
@RunbookTest
class ServiceReleaseTests {
  static final Release RELEASE = new Release("1.4.2", 42);

  final Platform platform = new Platform();
  final Platform.Snapshot before = platform.snapshot();

  /** What every explored path runs: the release on this test's own platform. */
  Subject<Release> subject() {
    return Subject.of(ServiceRelease.runbook(platform), RELEASE)
        .whenRolledBack("the platform is exactly as it was", () -> platform.snapshot().equals(before))
        .whenSucceeded("1.4.2 serves every customer", () -> platform.share("1.4.2") == 100
            && platform.stable().equals("1.4.2") && platform.dns().equals("lb-green") && platform.flag("new-checkout"));
  }

  @Test
  void isARealisticRelease() {
    Plan plan = Plan.of(ServiceRelease.runbook(platform), RELEASE);
    assertThat(plan.stepIds()).hasSizeGreaterThanOrEqualTo(10);
    assertThat(plan.toText()).contains("gate canary-healthy", "gate go-live", "bake bake-10", "bake bake-50",
        "watch error-rate");
  }

  @Test
  void aReleaseApprovedByAliceTakesItsBakesOnVirtualTime(RunbookTestKit kit) {
    kit.faults().approveAs("go-live", "alice");
    TestRun run = kit.run(ServiceRelease.runbook(platform), RELEASE);
    assertThat(run).succeeded().journal().hasNoDuplicateEffects();
    assertThat(run.virtualDuration()).isGreaterThanOrEqualTo(Duration.ofMinutes(90));
    assertThat(platform.stable()).isEqualTo("1.4.2");
  }

  @Test
  void anErrorSpikeDuringTheSecondBakeRollsEverythingBack(RunbookTestKit kit) {
    kit.faults().breachWatch("error-rate").during("bake-50");
    TestRun run = kit.run(ServiceRelease.runbook(platform), RELEASE);
    assertThat(run).rolledBack()
        .compensated("shift-50", "shift-10", "start-canary", "upload-artifact", "migrate-schema").inOrder();
    assertThat(platform.snapshot()).isEqualTo(before);
  }

  /** One test per failure point, each named for what it proves. */
  @ExploreFailures
  void everyFailurePathLeavesThePlatformRight(TestRun run, FailurePoint point) {
    if (point.kind() == FailurePoint.Kind.NONE) {
      assertThat(run).succeeded();
    }
  }

  @Test
  void theExplorationCoversEveryKindOfFailure() {
    ExplorationReport report = FailureExplorer.of(() -> {
      Platform p = new Platform();
      Platform.Snapshot start = p.snapshot();
      return Subject.of(ServiceRelease.runbook(p), RELEASE)
          .whenRolledBack("the platform is exactly as it was", () -> p.snapshot().equals(start));
    }).explore();

    report.assertAllHold();
    assertThat(report.paths().stream().map(r -> r.point().kind()).distinct())
        .contains(FailurePoint.Kind.STEP_FAILS, FailurePoint.Kind.STEP_TIMES_OUT, FailurePoint.Kind.GATE_REJECTS,
            FailurePoint.Kind.WATCH_BREACHES, FailurePoint.Kind.COMPENSATION_FAILS,
            FailurePoint.Kind.CRASH_BEFORE_WRITE, FailurePoint.Kind.CRASH_AFTER_WRITE);
    assertThat(report.paths().size()).isGreaterThan(150);
    assertThat(report.paths().size() + report.pruned()).as("with the equivalent ones pruned").isGreaterThan(200);
  }

  @Test
  void theExplorationFindsTheUndoThatForgetsTheFlagAndNamesEveryPathItBreaks() {
    Function<Platform, Subject<Release>> broken = p -> {
      Platform.Snapshot start = p.snapshot();
      return Subject.of(ServiceRelease.brokenRunbook(p), RELEASE)
          .whenRolledBack("the platform is exactly as it was", () -> p.snapshot().equals(start));
    };
    ExplorationReport report = FailureExplorer.of(() -> broken.apply(new Platform())).crashes(false).explore();

    assertThat(report.holds()).isFalse();
    List<String> failing = report.failures().stream().map(r -> r.point().name()).toList();
    // every rollback that undoes 'enable-flag' leaves the flag on; none before it is affected
    assertThat(failing).contains(
        "fail 'enable-flag' by timeout → compensates enable-flag, switch-dns, shift-50, shift-10, start-canary,"
            + " upload-artifact, migrate-schema",
        "fail 'shift-100' → compensates shift-100, enable-flag, switch-dns, shift-50, shift-10, start-canary,"
            + " upload-artifact, migrate-schema",
        "fail 'promote' → compensates promote, shift-100, enable-flag, switch-dns, shift-50, shift-10, start-canary,"
            + " upload-artifact, migrate-schema");
    assertThat(failing).noneMatch(n -> n.startsWith("fail 'switch-dns'") || n.startsWith("reject gate"));
    assertThat(failing).doesNotContain("fail 'enable-flag' → compensates enable-flag, switch-dns, shift-50, shift-10,"
        + " start-canary, upload-artifact, migrate-schema");  // failing before its effect leaves nothing to undo
    for (PathResult r : report.failures()) {
      assertThat(r.problems()).containsExactly("invariant 'the platform is exactly as it was' does not hold: it does not");
      assertThat(r.run().compensated()).contains("enable-flag");
    }
  }
}
