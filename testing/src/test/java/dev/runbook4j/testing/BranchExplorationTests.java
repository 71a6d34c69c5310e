package dev.runbook4j.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.StepKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A runbook with a three-way branch on a step's output and a group its parameters switch on,
 * explored: the failure points, and so the paths, follow the branches each subject's system makes
 * the run take, and every path of every branch holds.
 */
class BranchExplorationTests {
  record Params(boolean canary) {}

  private static final StepKey<String> PROBE = StepKey.of("probe", String.class);

  /** A fleet whose health the probe reads; what the runbook does to it, undone in reverse. */
  static final class Fleet {
    final String health;
    final java.util.Set<String> changes = new java.util.LinkedHashSet<>();  // idempotent, as a target that dedupes

    Fleet(String health) {
      this.health = health;
    }

    synchronized String change(String what) {
      changes.add(what);
      return what;
    }

    synchronized void undo(String what) {
      changes.remove(what);
    }

    synchronized boolean untouched() {
      return changes.isEmpty();
    }
  }

  static Runbook<Params> remediation(Fleet fleet) {
    return Runbook.builder("remediate", Params.class)
        .step(PROBE, s -> s.action(ctx -> fleet.health).readOnly())
        .group("canary", g -> g.when("params.canary", ctx -> ctx.params().canary())
            .step("drain-one", s -> s.action(ctx -> fleet.change("drain-one"))
                .compensate((ctx, out) -> fleet.undo("drain-one"))))
        .choose("route", c -> c
            .when("healthy", "probe is ok", ctx -> ctx.output(PROBE).equals("ok"),
                o -> o.succeed("the fleet is healthy"))
            .when("degraded", "probe is slow", ctx -> ctx.output(PROBE).equals("slow"), o -> o
                .step("restart", s -> s.action(ctx -> fleet.change("restart"))
                    .compensate((ctx, out) -> fleet.undo("restart"))))
            .otherwise(o -> o
                .step("replace", s -> s.action(ctx -> fleet.change("replace"))
                    .compensate((ctx, out) -> fleet.undo("replace")))))
        .step("record", s -> s.action(ctx -> fleet.change("record")).compensate((ctx, out) -> fleet.undo("record")))
        .build();
  }

  static ExplorationReport explore(String health, boolean canary) {
    return FailureExplorer.of(() -> {
      Fleet fleet = new Fleet(health);
      return Subject.of(remediation(fleet), new Params(canary))
          .whenRolledBack("the fleet is as it was", fleet::untouched);
    }).keepRuns(true).explore();
  }

  private static List<String> names(ExplorationReport r) {
    return r.paths().stream().map(p -> p.point().name()).toList();
  }

  @Test
  void aDegradedFleetExploresTheRestartBranchAndTheCanaryGroupItsParameterSwitchesOn() {
    ExplorationReport report = explore("slow", true);
    report.assertAllHold();
    assertThat(names(report)).contains(
        "no fault → succeeds",
        "fail 'canary/drain-one' → compensates canary/drain-one",
        "fail 'route/degraded/restart' → compensates route/degraded/restart, canary/drain-one",
        "fail 'record' → compensates record, route/degraded/restart, canary/drain-one");
    assertThat(names(report)).noneMatch(n -> n.contains("replace"));
    // a crash right after the branch was journaled resumes into the same branch
    assertThat(report.paths()).filteredOn(p -> p.point().name().startsWith("crash after write")
            && p.point().name().contains("branch chosen"))
        .isNotEmpty()
        .allSatisfy(p -> assertThat(p.run().started()).contains("route/degraded/restart"));
  }

  @Test
  void aFleetThatIsDownExploresTheOtherwiseBranchAndASkippedCanaryHasNoFailurePoint() {
    ExplorationReport report = explore("down", false);
    report.assertAllHold();
    assertThat(names(report)).contains("fail 'route/otherwise/replace' → compensates route/otherwise/replace",
        "fail 'record' → compensates record, route/otherwise/replace");
    assertThat(names(report)).noneMatch(n -> n.contains("drain-one") || n.contains("restart"));
    assertThat(report.paths()).filteredOn(p -> p.point().name().equals("no fault → succeeds")).singleElement()
        .satisfies(p -> assertThat(p.run().result().skipped()).containsExactly("canary"));
  }

  @Test
  void aHealthyFleetEndsEarlyAndNothingAfterTheBranchIsAFailurePoint() {
    ExplorationReport report = explore("ok", true);
    report.assertAllHold();
    assertThat(names(report)).contains("fail 'canary/drain-one' → compensates canary/drain-one")
        .noneMatch(n -> n.contains("'record'") || n.contains("restart") || n.contains("replace"));
    assertThat(report.paths()).filteredOn(p -> p.point().name().equals("no fault → succeeds")).singleElement()
        .satisfies(p -> {
          assertThat(p.run().state()).isEqualTo(RunState.SUCCEEDED);
          assertThat(p.run().result().endedEarly()).contains("the fleet is healthy");
        });
  }

  @Test
  void theJournalTextShowsTheDecisions() {
    List<RunEvent> events = List.of(
        new RunEvent.NodeSkipped("r", "canary", "its condition (params.canary) did not hold", java.time.Instant.EPOCH),
        new RunEvent.BranchChosen("r", "route", "degraded", "probe is slow", java.time.Instant.EPOCH),
        new RunEvent.SucceededEarly("r", "route/healthy/succeed", "the fleet is healthy", java.time.Instant.EPOCH));
    assertThat(JournalText.of(events)).contains(
        "node skipped           canary: its condition (params.canary) did not hold",
        "branch chosen          route → degraded (probe is slow)",
        "succeeded early        route/healthy/succeed: the fleet is healthy");
  }

  @Test
  void theKitChoosesAGatesFirstOptionUnlessTheTestSaysWhich() {
    dev.runbook4j.Runbook<Void> rb = Runbook.builder("judged")
        .gate("judgment", g -> g.approval(a -> a.approvers("lead").options("proceed", "hold")))
        .choose("verdict", c -> c
            .when("hold", ctx -> ctx.output("judgment").equals("hold"), o -> o.succeed("held"))
            .otherwise(o -> o.step("promote", s -> s.action(ctx -> "promoted").readOnly())))
        .build();
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      kit.faults().approveAs("judgment", "lead");
      assertThat(kit.run(rb, null).started()).containsExactly("verdict/otherwise/promote");
    }
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      kit.faults().approveChoosing("judgment", "lead", "hold");
      assertThat(kit.run(rb, null).result().endedEarly()).contains("held");
    }
    // the explorer approves with the first option, and every path of that branch holds
    FailureExplorer.of(() -> Subject.of(rb, (Void) null)).explore().assertAllHold();
  }
}
