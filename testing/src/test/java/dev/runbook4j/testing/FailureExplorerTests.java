package dev.runbook4j.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailureExplorerTests {
  static FailureExplorer<Void> canary() {
    return FailureExplorer.of(() -> {
      Canary.Alias alias = new Canary.Alias();
      return Subject.of(Canary.runbook(alias), (Void) null)
          .whenRolledBack("the alias is back at v1 with nothing else published", alias::pristine)
          .whenSucceeded("the alias points at v2", () -> alias.target.equals("v2"));
    });
  }

  @Test
  void everyFailurePathOfTheCanaryHolds() {
    ExplorationReport report = canary().keepRuns(true).explore();

    report.assertAllHold();
    List<String> names = report.paths().stream().map(p -> p.point().name()).toList();
    assertThat(names).contains(
        "no fault → succeeds",
        "fail 'publish' → compensates publish",
        "fail 'shift-50' by timeout → compensates shift-50, shift-10, publish",
        "reject gate 'healthy' → compensates publish",
        "reject gate 'go-live' → compensates shift-100, shift-50, shift-10, publish",
        "breach watch 'errors' during 'bake-50' → compensates shift-50, shift-10, publish",
        "fail undo of 'shift-10' in the rollback after fail 'shift-10' → rollback fails, compensates publish,"
            + " leaves 'shift-10'",
        "fail undo of 'shift-10' in the rollback after fail 'promote' → rollback fails, compensates promote,"
            + " shift-100, shift-50, publish, leaves 'shift-10'",
        "fail 'announce' → compensates promote, shift-100, shift-50, shift-10, publish");
    assertThat(names).anyMatch(n -> n.startsWith("crash before write 1 (run started"));
    assertThat(names).anyMatch(n -> n.startsWith("crash after write") && n.contains("compensated shift-10")
        && n.contains("after fail 'announce'"));
    // every kind of failure point was found
    assertThat(report.paths().stream().map(p -> p.point().kind()).distinct())
        .containsExactlyInAnyOrder(FailurePoint.Kind.values());
    // paths with a compensation made to fail end ROLLBACK_FAILED, the others roll back or succeed
    assertThat(report.paths()).allSatisfy(p -> {
      if (p.point().kind() == FailurePoint.Kind.COMPENSATION_FAILS) {
        assertThat(p.run().state()).isEqualTo(RunState.ROLLBACK_FAILED);
      }
    });
    assertThat(report.headline()).contains("of runbook 'canary' (seed 1)").endsWith("all hold.");
  }

  @Test
  void eachCompensationFailsInTheLongestRollbackAndTheOneItHeadsUnlessExhaustive() {
    ExplorationReport pruned = canary().crashes(false).explore();
    ExplorationReport all = canary().crashes(false).exhaustive(true).explore();
    pruned.assertAllHold();
    all.assertAllHold();
    String middle = "fail undo of 'shift-10' in the rollback after fail 'shift-50' → rollback fails, compensates"
        + " shift-50, publish, leaves 'shift-10'";
    assertThat(all.paths()).extracting(p -> p.point().name()).contains(middle);
    assertThat(pruned.paths()).extracting(p -> p.point().name()).doesNotContain(middle);
    assertThat(pruned.pruned()).isPositive();
    assertThat(all.pruned()).isZero();
    assertThat(pruned.paths().size() + pruned.pruned()).isEqualTo(all.paths().size());
    assertThat(pruned.toText()).contains("(" + pruned.pruned() + " combinations pruned: a compensation failing in a"
        + " rollback other than the longest and the one it heads");
    assertThat(all.toText()).doesNotContain("pruned");
    // every compensation still fails at least once, first (the rollback it heads) and after others (the longest)
    java.util.Set<String> failedUndo = new java.util.HashSet<>();
    pruned.paths().stream().filter(p -> p.point().kind() == FailurePoint.Kind.COMPENSATION_FAILS)
        .forEach(p -> failedUndo.add(p.point().node()));
    assertThat(failedUndo).containsExactlyInAnyOrder("publish", "shift-10", "shift-50", "shift-100", "promote");
  }

  /** A gate re-checked every minute until its {@code checks}-th check passes, between two steps. */
  static Subject<Void> rechecking(int checks) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return Subject.of(Runbook.builder("rechecks")
        .step("deploy", s -> s.action(ctx -> "v2").compensate((ctx, o) -> { }))
        .gate("healthy", g -> g.check(ctx -> n.incrementAndGet() >= checks ? dev.runbook4j.GateDecision.pass()
            : dev.runbook4j.GateDecision.recheck("not yet")).every(java.time.Duration.ofMinutes(1))
            .timeout(java.time.Duration.ofDays(1)))
        .step("after", s -> s.action(ctx -> "done").compensate((ctx, o) -> { }))
        .build(), (Void) null);
  }

  @Test
  void aGateReCheckedEveryMinuteForSixteenHoursHasAsManyCrashPointsAsOneReCheckedThreeTimes() {
    List<FailurePoint> sixteenHours = FailureExplorer.of(() -> rechecking(16 * 60)).failurePoints();
    // three re-checks: the run's state changes once, then its answers repeat (a first and a last repetition)
    List<FailurePoint> thrice = FailureExplorer.of(() -> rechecking(4)).failurePoints();
    assertThat(sixteenHours).hasSameSizeAs(thrice);
    ExplorationReport few = FailureExplorer.of(() -> rechecking(6)).explore();
    ExplorationReport all = FailureExplorer.of(() -> rechecking(6)).exhaustive(true).explore();
    few.assertAllHold();
    all.assertAllHold();
    assertThat(few.paths().size() + few.pruned()).isEqualTo(all.paths().size());
    assertThat(few.toText()).contains("crash points pruned: between repetitions of a re-check or poll with the same"
        + " outcome, which behave as the first and last repetition");
    // the first and the last re-check keep their crash points: a crash at one, then a resume
    assertThat(few.paths()).extracting(p -> p.point().name())
        .anyMatch(n -> n.startsWith("crash before write 4 (gate waiting healthy: not yet)"))
        .anyMatch(n -> n.startsWith("crash after write 3 (step succeeded deploy #1)"));
  }

  @Test
  void repetitionsAreTheMiddleBlocksOfARunOfEqualBlocks() {
    String[] events = {"a", "b", "c", "b", "c", "b", "c", "b", "c", "d", "d", "e"};
    boolean[] middle = FailureExplorer.repetitions(events);
    // b c repeats four times: the second and third are middle blocks; d twice has no middle
    assertThat(middle).containsExactly(false, false, false, true, true, true, true, false, false, false, false, false);
  }

  /** Paths that share one environment run one at a time: never two runs in their actions at once. */
  @Test
  void aSubjectWhosePathsShareAnEnvironmentIsExploredOneAtATime() {
    java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
    Runbook<Void> rb = Runbook.builder("shared")
        .step("touch", s -> s.action(ctx -> {
          most.accumulateAndGet(inside.incrementAndGet(), Math::max);
          try {
            // a real wait of at most 100 ms for another path to come in, as paths run side by side would:
            // it is what the test looks for (paths one at a time never meet)
            long until = System.nanoTime() + 100_000_000L;
            while (inside.get() < 2 && System.nanoTime() < until) {
              Thread.sleep(2);
            }
            most.accumulateAndGet(inside.get(), Math::max);
            return "done";
          } finally {
            inside.decrementAndGet();
          }
        }).compensate((ctx, o) -> { }))
        .build();
    FailureExplorer.of(() -> Subject.of(rb, (Void) null).oneAtATime()).crashes(false).explore().assertAllHold();
    assertThat(most).hasValue(1);
  }

  @Test
  void theReportKeepsTheRunsOfFailingPathsOnly() {
    ExplorationReport report = canary().crashes(false).explore();
    assertThat(report.paths()).allSatisfy(p -> assertThat(p.run()).isNull());
    assertThat(canary().crashes(false).keepRuns(true).explore().paths()).allSatisfy(p -> assertThat(p.run()).isNotNull());
  }

  /**
   * A fault the run never reaches proves nothing: counted apart, held only when not strict. Here
   * the items of a forEach change after the path without fault (as a parallel branch's order may),
   * so the fault meant for the second item's step finds no such step.
   */
  @Test
  void aPathWhoseFaultIsNotReachedIsCountedApart() {
    java.util.concurrent.atomic.AtomicBoolean ranOnce = new java.util.concurrent.atomic.AtomicBoolean();
    FailureExplorer<Void> explorer = FailureExplorer.of(() -> Subject.of(Runbook.builder("shrinking")
        .forEach("hosts", r -> ranOnce.get() ? List.of("a") : List.of("a", "b"), 1, 0, b -> b
            .step("restart", s -> s.action(ctx -> ranOnce.getAndSet(true)).compensate((ctx, o) -> { })))
        .build(), (Void) null)).crashes(false).compensationFailures(false).parallelism(1);
    ExplorationReport report = explorer.explore();
    assertThat(report.holds()).isTrue();
    assertThat(report.holds(true)).isFalse();
    assertThat(report.notReached()).extracting(p -> p.point().name())
        .allMatch(n -> n.contains("hosts[b]")).isNotEmpty();
    assertThat(report.headline()).endsWith("all hold, but " + report.notReached().size()
        + " paths did not reach their fault (proving nothing about it).");
    assertThat(report.toText()).contains("  n/a   fail 'hosts[b]/restart' → ");
  }

  @Test
  void aCompensationThatForgetsToUndoIsFoundAndItsFailurePointNamed() {
    ExplorationReport report = FailureExplorer.of(() -> {
      Canary.Alias alias = new Canary.Alias();
      return Subject.of(Canary.runbook(alias, true), (Void) null)
          .whenRolledBack("the alias is back at v1 with nothing else published", alias::pristine);
    }).crashes(false).explore();

    assertThat(report.holds()).isFalse();
    List<String> failing = report.failures().stream().map(p -> p.point().name()).toList();
    // every rollback after v2 was published leaves it published; a publish that fails before its
    // effect leaves nothing to undo, one that times out after it does
    assertThat(failing).contains("fail 'publish' by timeout → compensates publish",
        "fail 'shift-50' → compensates shift-50, shift-10, publish")
        .doesNotContain("fail 'publish' → compensates publish");
    assertThat(failing).doesNotContain("no fault → succeeds");
    assertThat(report.failures().get(0).problems()).anySatisfy(p -> assertThat(p)
        .startsWith("invariant 'the alias is back at v1 with nothing else published' does not hold"));
    assertThatThrownBy(report::assertAllHold)
        .hasMessageContaining("FAIL  fail 'publish' by timeout → compensates publish")
        .hasMessageContaining("Journal of the first failing path")
        .hasMessageContaining("Replay with -Drunbook4j.seed=1");
  }

  @Test
  void compensationsCalledOutOfOrderOrForgottenAreCaughtByTheVerdict() {
    Canary.Alias alias = new Canary.Alias();
    Subject<Void> subject = Subject.of(Canary.runbook(alias), null);
    FailurePoint point = FailurePoint.of(FailurePoint.Kind.STEP_FAILS, "shift-50", null, RunState.ROLLED_BACK,
        List.of("shift-50", "shift-10", "publish"));
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      point.applyTo(kit.faults());
      TestRun real = kit.run(subject.runbook(), null);
      PlanIndex index = new PlanIndex(dev.runbook4j.Plan.of(subject.runbook(), null));
      assertThat(FailureExplorer.verdict(point, subject, real, index)).isEmpty();

      // the same run as a broken engine would have made it: calls reordered, one compensation missing
      List<Call> reordered = new java.util.ArrayList<>(real.calls());
      Call publishUndo = reordered.stream().filter(c -> c.kind() == dev.runbook4j.spi.Invocation.Kind.COMPENSATION
          && c.nodeId().equals("publish")).findFirst().orElseThrow();
      reordered.remove(publishUndo);
      reordered.add(reordered.indexOf(reordered.stream().filter(c -> c.kind()
          == dev.runbook4j.spi.Invocation.Kind.COMPENSATION).findFirst().orElseThrow()), publishUndo);
      TestRun swapped = new TestRun(real.runId(), real.runbook(), real.result(), null, real.events(), reordered, 1,
          null);
      assertThat(FailureExplorer.verdict(point, subject, swapped, index)).anySatisfy(p -> assertThat(p)
          .startsWith("compensations ran in the order [publish, shift-50, shift-10], not in reverse start order"));

      List<Call> forgotten = real.calls().stream().filter(c -> !(c.kind()
          == dev.runbook4j.spi.Invocation.Kind.COMPENSATION && c.nodeId().equals("shift-10"))).toList();
      TestRun missing = new TestRun(real.runId(), real.runbook(), real.result(), null, real.events(), forgotten, 1,
          null);
      assertThat(FailureExplorer.verdict(point, subject, missing, index))
          .contains("started but never compensated: [shift-10]");
    }
  }

  @Test
  void samplingIsSeededAndKeepsThePathWithoutFault() {
    List<FailurePoint> all = canary().failurePoints();
    List<FailurePoint> a = canary().seed(5).sample(10).failurePoints();
    List<FailurePoint> b = canary().seed(5).sample(10).failurePoints();
    List<FailurePoint> c = canary().seed(6).sample(10).failurePoints();
    assertThat(a).hasSize(10).isEqualTo(b).isNotEqualTo(c).startsWith(FailurePoint.none());
    assertThat(all).containsAll(a);
    ExplorationReport report = canary().seed(5).sample(10).explore();
    assertThat(report.headline()).contains("Explored 10 failure paths (a sample of " + all.size() + ")");
  }

  @Test
  void aRoleOnlyApprovalNeedsToBeToldWhoApproves() {
    Runbook<Void> rb = Runbook.builder("roles")
        .gate("ok", g -> g.approval(a -> a.role("sre", u -> u.startsWith("sre-"))))
        .build();
    assertThatThrownBy(() -> FailureExplorer.of(rb, null).failurePoints())
        .hasMessageContaining("Approval gate 'ok' of runbook 'roles' needs 1 approval but names no approvers"
            + " (it approves by role 'sre'); tell the explorer who approves: Subject.approveAs(\"ok\"");
    assertThat(FailureExplorer.of(() -> Subject.of(rb, (Void) null).approveAs("ok", "sre-ann")).explore().holds())
        .isTrue();
  }

  @Test
  void crashPathsHoldOnARealSqliteJournal(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    List<dev.runbook4j.journal.jdbc.JdbcJournal> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger files = new java.util.concurrent.atomic.AtomicInteger();
    try {
      ExplorationReport report = canary().compensationFailures(false).sample(14).seed(3).keepRuns(true)
          .kit(b -> {
            dev.runbook4j.journal.jdbc.JdbcJournal j = dev.runbook4j.journal.jdbc.JdbcJournal.sqlite(
                dir.resolve("journal-" + files.incrementAndGet() + ".db"));
            opened.add(j);
            b.journal(j);
          })
          .explore();
      report.assertAllHold();
      assertThat(report.paths().stream().filter(p -> p.point().kind() == FailurePoint.Kind.CRASH_BEFORE_WRITE
          || p.point().kind() == FailurePoint.Kind.CRASH_AFTER_WRITE)).hasSizeGreaterThan(4)
          .allSatisfy(p -> assertThat(p.run().events(dev.runbook4j.RunEvent.RunStarted.class)).hasSize(1));
    } finally {
      opened.forEach(dev.runbook4j.journal.jdbc.JdbcJournal::close);
    }
  }

  @Test
  void theDuplicateEffectsCheckSeesAStepDoneTwiceAndACallNotJournaledFirst() {
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      kit.faults().approveAs("go-live", "alice");
      TestRun real = kit.run(Canary.runbook(new Canary.Alias()), null);
      assertThat(Effects.duplicates(real)).isEmpty();

      List<dev.runbook4j.RunEvent> events = new java.util.ArrayList<>(real.events());
      dev.runbook4j.RunEvent.StepSucceeded once = real.events(dev.runbook4j.RunEvent.StepSucceeded.class).get(0);
      events.add(new dev.runbook4j.RunEvent.StepStarted(real.runId(), once.stepId(), 2, "another-key", once.at()));
      events.add(once);
      List<Call> calls = new java.util.ArrayList<>(real.calls());
      calls.add(new Call(dev.runbook4j.spi.Invocation.Kind.ACTION, real.runId(), "shift-10", "shift-10", 9, once.at(),
          true, false, ""));
      TestRun doubled = new TestRun(real.runId(), real.runbook(), real.result(), null, events, calls, 1, null);
      assertThat(Effects.duplicates(doubled)).containsExactlyInAnyOrder(
          "step '" + once.stepId() + "' attempt 2 carried idempotency key 'another-key', an earlier attempt '"
              + real.runId() + ":" + once.stepId() + "'",
          "the journal shows step '" + once.stepId() + "' succeeded 2 times",
          "step 'shift-10' attempt 9 was called without its intent in the journal first",
          "step 'shift-10' completed 2 times");
      org.assertj.core.api.Assertions.assertThatThrownBy(
          () -> RunbookAssertions.assertThat(doubled).journal().hasNoDuplicateEffects())
          .hasMessageContaining("to have no duplicate effects");
    }
  }
}
