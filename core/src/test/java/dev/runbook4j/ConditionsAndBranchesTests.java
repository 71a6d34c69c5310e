package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code when} on every kind of node, {@code choose} and {@code succeed}: as runs, journals, resumes and plans. */
class ConditionsAndBranchesTests {
  record Params(boolean canary, boolean migrate, String mode) {}

  private static final StepKey<String> PROBE = StepKey.of("probe", String.class);

  // ---------------------------------------------------------------- when

  @Test
  void aStepWhoseConditionDoesNotHoldIsSkippedJournaledAndNotCompensated() {
    try (Harness h = new Harness()) {
      h.failing.add("c");
      Runbook<Params> rb = Runbook.builder("skip-step", Params.class)
          .step("a", h.effect("a"))
          .step("migrate", s -> h.<Params>effect("migrate").accept(s.when("params.migrate", ctx -> ctx.params().migrate())))
          .step("c", h.effect("c"))
          .build();
      RunResult r = h.engine.run(rb, new Params(false, false, "x"));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.skipped()).containsExactly("migrate");
      assertThat(r.compensated()).containsExactly("c", "a");
      assertThat(h.effects).doesNotContain("do:migrate", "undo:migrate");
      List<RunEvent.NodeSkipped> skipped = h.events(r.runId(), RunEvent.NodeSkipped.class);
      assertThat(skipped).singleElement().satisfies(e -> {
        assertThat(e.nodeId()).isEqualTo("migrate");
        assertThat(e.reason()).isEqualTo("its condition (params.migrate) did not hold");
      });
      // the rollback list names only the started steps
      assertThat(h.events(r.runId(), RunEvent.RollbackStarted.class).get(0).toCompensate()).containsExactly("c", "a");
    }
  }

  @Test
  void aStepWhoseConditionHoldsRunsAndTheDecisionIsJournaledBeforeItStarts() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("run-step", Params.class)
          .step("migrate", s -> h.<Params>effect("migrate").accept(s.when("params.migrate", ctx -> ctx.params().migrate())))
          .build();
      RunResult r = h.engine.run(rb, new Params(false, true, "x"));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.skipped()).isEmpty();
      List<RunEvent> events = h.events(r.runId());
      int held = indexOf(events, RunEvent.ConditionHeld.class);
      int started = indexOf(events, RunEvent.StepStarted.class);
      assertThat(held).isPositive().isLessThan(started);
      assertThat(((RunEvent.ConditionHeld) events.get(held)).condition()).isEqualTo("params.migrate");
    }
  }

  @Test
  void aConditionOnAnOutputIsAskedWhenTheRunReachesTheNode() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("on-output")
          .step(PROBE, s -> s.action(ctx -> "slow").readOnly())
          .step("restart", s -> h.<Void>effect("restart").accept(s.when("probe is slow",
              ctx -> ctx.output(PROBE).equals("slow"))))
          .step("replace", s -> h.<Void>effect("replace").accept(s.when("probe is down",
              ctx -> ctx.output(PROBE).equals("down"))))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:restart");
      assertThat(r.skipped()).containsExactly("replace");
    }
  }

  @Test
  void aSkippedGroupStartsNoneOfItsNodes() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("skip-group", Params.class)
          .group("canary", g -> g.when("params.canary", ctx -> ctx.params().canary())
              .step("shift-10", h.effect("shift-10"))
              .sleep("soak", Duration.ofMinutes(10)))
          .step("all", h.effect("all"))
          .build();
      java.time.Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, new Params(false, false, "x"));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:all");
      assertThat(r.skipped()).containsExactly("canary");
      assertThat(h.events(r.runId(), RunEvent.WaitStarted.class)).isEmpty();
      assertThat(h.time.now()).isEqualTo(t0);  // the soak never began
    }
  }

  @Test
  void gatesWaitsParallelsAndForEachLoopsTakeConditionsToo() {
    try (Harness h = new Harness()) {
      Condition<Params> no = ctx -> false;
      Runbook<Params> rb = Runbook.builder("every-kind", Params.class)
          .gate("window", g -> g.when("never", no).check(ctx -> GateDecision.reject("closed")))
          .sleep("pause", Duration.ofHours(1), w -> w.when("never", no))
          .waitUntil("stable", Duration.ofSeconds(10), Duration.ofMinutes(1), ctx -> false, w -> w.when("never", no))
          .parallel("regions", p -> p.when("never", no)
              .branch("eu", b -> b.step("eu-1", h.effect("eu-1"))))
          .parallel("zones", p -> p
              .branch("a", b -> b.when("never", no).step("zone-a", h.effect("zone-a")))
              .branch("b", b -> b.step("zone-b", h.effect("zone-b"))))
          .forEach("hosts", p -> List.of("h1", "h2"), 1, 0, b -> b.when("never", no).step("drain", h.effect("drain")))
          .build();
      java.time.Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, new Params(false, false, "x"));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:zone-b");
      assertThat(r.skipped()).containsExactly("window", "pause", "stable", "regions", "zones/a", "hosts");
      assertThat(h.time.now()).isEqualTo(t0);
    }
  }

  @Test
  void aConditionInsideAForEachIsDecidedForEachItem() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("per-item")
          .forEach("hosts", p -> List.of("h1", "h2", "h3"), 1, 0, b -> b
              .step("drain", s -> h.<Void>effect("drain").accept(s.when("not h2",
                  ctx -> !ctx.item(String.class).equals("h2")))))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.started()).containsExactly("hosts[h1]/drain", "hosts[h3]/drain");
      assertThat(r.skipped()).containsExactly("hosts[h2]/drain");
    }
  }

  @Test
  void aConditionThatThrowsRollsTheRunBackNamingTheNode() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("throws")
          .step("a", h.effect("a"))
          .step("b", s -> h.<Void>effect("b").accept(s.when("probe says", ctx -> {
            throw new IllegalStateException("probe unreachable");
          })))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("a");
      assertThat(r.failure().orElseThrow()).hasMessage("The condition (probe says) of 'b' in run " + r.runId()
          + " (throws) failed: IllegalStateException: probe unreachable; rolling back");
    }
  }

  @Test
  void aResumedRunKeepsTheDecisionItJournaledAndDoesNotAskAgain() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    AtomicBoolean answer = new AtomicBoolean(true);
    AtomicInteger asked = new AtomicInteger();
    Runbook<Void> rb = Runbook.builder("decided-once")
        .group("canary", g -> g.when("the flag", ctx -> {
          ctx.runId();  // a plan cannot tell: the condition is asked when the run reaches it, and counted
          asked.incrementAndGet();
          return answer.get();
        }).step("shift", s -> s.action(ctx -> "shifted").readOnly())
            .sleep("soak", Duration.ofMinutes(30))
            .step("promote", s -> s.action(ctx -> "promoted").readOnly()))
        .build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("once"));
      time.advance(Duration.ofMinutes(10));  // in the soak: the process dies
    }
    answer.set(false);  // the flag flipped meanwhile: the run keeps the decision it made
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("once", rb).await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.started()).containsExactly("canary/shift", "canary/promote");
      assertThat(asked).hasValue(1);
    }
  }

  // ---------------------------------------------------------------- choose

  private static Runbook<Params> threeWay(Harness h, String probe) {
    // tag::choose[]
    return Runbook.builder("three-way", Params.class)
        .step(PROBE, s -> s.action(ctx -> probe).readOnly())
        .choose("route", c -> c
            .when("healthy", "probe is ok", ctx -> ctx.output(PROBE).equals("ok"), o -> o.succeed("the fleet is healthy"))
            .when("degraded", "probe is slow", ctx -> ctx.output(PROBE).equals("slow"), o -> o
                .step("restart", h.effect("restart")))
            .otherwise(o -> o.step("replace", h.effect("replace"))))
        .step("report", h.effect("report"))
        .build();
    // end::choose[]
  }

  @Test
  void chooseTakesTheFirstOptionThatHoldsAndJournalsIt() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(threeWay(h, "slow"), new Params(false, false, "x"));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.started()).containsExactly("probe", "route/degraded/restart", "report");
      assertThat(h.events(r.runId(), RunEvent.BranchChosen.class)).singleElement().satisfies(e -> {
        assertThat(e.chooseId()).isEqualTo("route");
        assertThat(e.option()).isEqualTo("degraded");
        assertThat(e.reason()).isEqualTo("probe is slow");
      });
    }
  }

  @Test
  void chooseTakesOtherwiseWhenNoOptionHolds() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(threeWay(h, "down"), new Params(false, false, "x"));
      assertThat(r.started()).containsExactly("probe", "route/otherwise/replace", "report");
      assertThat(h.events(r.runId(), RunEvent.BranchChosen.class).get(0).reason()).isEqualTo("no option before it held");
    }
  }

  @Test
  void chooseWithoutOtherwiseRunsNothingWhenNoOptionHolds() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("none", Params.class)
          .choose("mode", c -> c.when("fast", ctx -> ctx.params().mode().equals("fast"), o -> o.step("f", h.effect("f"))))
          .step("after", h.effect("after"))
          .build();
      RunResult r = h.engine.run(rb, new Params(false, false, "slow"));
      assertThat(r.started()).containsExactly("after");
      RunEvent.BranchChosen e = h.events(r.runId(), RunEvent.BranchChosen.class).get(0);
      assertThat(e.option()).isNull();
      assertThat(e.reason()).isEqualTo("no option held");
    }
  }

  @Test
  void aFailureInTheChosenOptionUndoesTheStepsItStartedAndThoseBeforeIt() {
    try (Harness h = new Harness()) {
      h.failing.add("report");
      RunResult r = h.engine.run(threeWay(h, "slow"), new Params(false, false, "x"));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("report", "route/degraded/restart");
      assertThat(r.notUndone()).containsExactly("probe");
      assertThat(h.effects).doesNotContain("do:replace", "undo:replace");
    }
  }

  @Test
  void aResumedRunTakesTheOptionItJournaled() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    AtomicBoolean fast = new AtomicBoolean(true);
    Runbook<Void> rb = Runbook.builder("chosen-once")
        .choose("speed", c -> c
            .when("fast", ctx -> ctx.runId() != null && fast.get(), o -> o.sleep("short", Duration.ofMinutes(5))
                .step("quick", s -> s.action(ctx -> "q").readOnly()))
            .otherwise(o -> o.step("careful", s -> s.action(ctx -> "c").readOnly())))
        .build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("chosen"));
      time.advance(Duration.ofMinutes(1));
    }
    fast.set(false);
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("chosen", rb).await();
      assertThat(r.started()).containsExactly("speed/fast/quick");
    }
  }

  // ---------------------------------------------------------------- succeed

  @Test
  void succeedEndsTheRunSuccessfullyAndNothingAfterItRuns() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(threeWay(h, "ok"), new Params(false, false, "x"));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.started()).containsExactly("probe");
      assertThat(r.endedEarly()).contains("the fleet is healthy");
      assertThat(h.effects).isEmpty();
      assertThat(h.events(r.runId(), RunEvent.SucceededEarly.class)).singleElement()
          .satisfies(e -> assertThat(e.nodeId()).isEqualTo("route/healthy/succeed"));
      RunEvent.RunFinished end = h.events(r.runId(), RunEvent.RunFinished.class).get(0);
      assertThat(end.summary()).isEqualTo("ended early at 'route/healthy/succeed': the fleet is healthy;"
          + " 1 steps started, all completed");
    }
  }

  // ---------------------------------------------------------------- the plan

  @Test
  void thePlanShowsConditionsAndWhichNodesTheParametersRun() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("planned", Params.class)
          .step(PROBE, s -> s.action(ctx -> "ok").readOnly())
          .group("canary", g -> g.when("params.canary", ctx -> ctx.params().canary()).step("c1", h.effect("c1")))
          .step("migrate", s -> h.<Params>effect("migrate").accept(s.when("params.migrate", ctx -> ctx.params().migrate())))
          .choose("mode", c -> c
              .when("fast", "params.mode == fast", ctx -> ctx.params().mode().equals("fast"), o -> o.step("f", h.effect("f")))
              .when("slow", "params.mode == slow", ctx -> ctx.params().mode().equals("slow"), o -> o.step("s", h.effect("s")))
              .otherwise(o -> o.succeed("unknown mode")))
          .choose("route", c -> c
              .when("healthy", "probe is ok", ctx -> ctx.output(PROBE).equals("ok"), o -> o.succeed("healthy"))
              .otherwise(o -> o.step("fix", h.effect("fix"))))
          .build();
      String text = Plan.of(rb, new Params(true, false, "slow")).toText();
      assertThat(text).contains(
          "group canary  [when: params.canary; decision: runs]",
          "step migrate  [when: params.migrate; decision: skipped; undo: compensate;",
          "choose mode\n",
          "option mode/fast  [when: params.mode == fast; decision: not taken]",
          "option mode/slow  [when: params.mode == slow; decision: taken]",
          "option mode/otherwise  [when: otherwise; decision: not taken]",
          "succeed mode/otherwise/succeed  [reason: unknown mode]",
          "option route/healthy  [when: probe is ok; decision: when reached]",
          "option route/otherwise  [when: otherwise; decision: when reached]");
      // the parameters decide the tree: another value, another plan
      Plan other = Plan.of(rb, new Params(false, true, "fast"));
      assertThat(other.toText()).contains("group canary  [when: params.canary; decision: skipped]",
          "option mode/fast  [when: params.mode == fast; decision: taken]");
      assertThat(other.hash()).isNotEqualTo(Plan.of(rb, new Params(true, false, "slow")).hash());
      assertThat(Plan.of(rb, new Params(true, false, "slow")).toJson()).contains("\"kind\" : \"choose\"",
          "\"kind\" : \"option\"", "\"decision\" : \"taken\"", "\"kind\" : \"succeed\"");
      String mermaid = Plan.of(rb, new Params(true, false, "slow")).toMermaid();
      assertThat(mermaid).contains("{\"choose mode\"}", "-->|\"params.mode == slow (taken)\"|",
          "([\"succeed: unknown mode\"])", "(when params.canary)");
    }
  }

  // ---------------------------------------------------------------- definition errors

  @Test
  void badChoicesAndMisplacedSucceedsAreDefinitionErrors() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Runbook.builder("bad")
            .choose("empty", c -> { })
            .choose("twice", c -> c.otherwise(o -> { }).when("late", ctx -> true, o -> { }).otherwise(o -> { }))
            .group("g", g -> g.succeed("done").step("after", s -> s.action(ctx -> null).readOnly()))
            .parallel("p", p -> p.branch("b", b -> b.succeed("early")))
            .step("s", s -> s.action(ctx -> null).readOnly())
            .build())
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessageContaining("choose 'empty' has no options; add when(...) or otherwise(...)")
        .hasMessageContaining("option 'late' of choose 'twice' comes after otherwise, so it is never asked")
        .hasMessageContaining("choose 'twice' has two otherwise options; keep one")
        .hasMessageContaining("'g/after' comes after succeed at 'g/succeed', so it never runs")
        .hasMessageContaining("succeed at 'p/b/succeed' is inside parallel 'p', whose other strands would still run");
  }

  private static int indexOf(List<RunEvent> events, Class<?> type) {
    for (int i = 0; i < events.size(); i++) {
      if (type.isInstance(events.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
