package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.VirtualTime;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash and resume in process: the engine "dies" before each journal write in turn (forward path
 * and rollback path), a new engine resumes on the same journal, and an external side-effect log
 * shows that nothing was lost and nothing done twice that should not be.
 */
class ResumeTests {
  /** An external system: what happened to it, with the idempotency key used. */
  static final class Target {
    final List<String> log = new CopyOnWriteArrayList<>();

    long count(String what) {
      return log.stream().filter(l -> l.startsWith(what + " ")).count();
    }
  }

  static Runbook<Void> fiveSteps(Target target, boolean failFifth) {
    Runbook.Builder<Void> b = Runbook.builder("five");
    for (int i = 1; i <= 5; i++) {
      String name = "s" + i;
      boolean fails = failFifth && i == 5;
      b.step(name, s -> s.action(ctx -> {
        target.log.add("do:" + name + " " + ctx.idempotencyKey());
        if (fails) {
          throw new IllegalStateException(name + " broke");
        }
        return name + "-out";
      }).compensate((ctx, out) -> target.log.add("undo:" + name + " " + ctx.idempotencyKey())));
      if (i == 2) {
        b.sleep("pause", Duration.ofMinutes(30));
      }
    }
    return b.build();
  }

  private static int eventsOfACleanRun(boolean failFifth) {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = engine.run(fiveSteps(new Target(), failFifth), null);
      return journal.read(r.runId()).size();
    }
  }

  /**
   * The journal as a process that dies before its n-th write sees it: that write and every later one
   * fail (the engine stops there), the ones before stay in {@code journal}.
   */
  static Journal crashing(Journal journal, int crashBefore) {
    java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
    return dev.runbook4j.journal.FaultInjectingJournal.wrap(journal)
        .failWrites(e -> writes.incrementAndGet() >= crashBefore);
  }

  /** Runs until the crash point, then resumes on a new engine; returns the final result. */
  private static RunResult crashAndResume(Journal journal, Runbook<Void> runbook, int crashBefore, VirtualTime time,
      Integer secondCrash) {
    String runId = "run-" + crashBefore + "-" + secondCrash;
    try (RunbookEngine first = RunbookEngine.builder().journal(crashing(journal, crashBefore))
        .virtualTime(time).build()) {
      RunHandle h;
      try {
        h = first.start(runbook, null, RunOptions.defaults().withRunId(runId));
      } catch (JournalException crashBeforeTheRunWasRecorded) {
        h = null;
      }
      try {
        if (h == null) {
          throw new JournalException("not started", null);
        }
        RunResult r = h.await();
        if (r.state().isTerminal()) {
          return r;  // the crash point lies after the last event
        }
      } catch (JournalException expected) {
        // the simulated crash
      }
    }
    if (secondCrash != null) {
      try (RunbookEngine second = RunbookEngine.builder().journal(crashing(journal, secondCrash))
          .virtualTime(time).build()) {
        proceed(second, journal, runbook, runId);
      } catch (JournalException expected) {
        // crashed again, during recovery
      }
    }
    try (RunbookEngine last = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      return proceed(last, journal, runbook, runId);
    }
  }

  /** Resumes the run, or starts it again (same id) when the crash came before it was recorded. */
  private static RunResult proceed(RunbookEngine engine, Journal journal, Runbook<Void> runbook, String runId) {
    if (journal.read(runId).isEmpty()) {
      return engine.start(runbook, null, RunOptions.defaults().withRunId(runId)).await();
    }
    return engine.resume(runId, runbook).await();
  }

  private static void checkEffects(Target target, RunResult r, Journal journal, boolean failFifth) {
    checkEffects(target, r, journal, failFifth, 1);
  }

  /** {@code crashes}: how many times the process died; an interrupted call may be repeated once per crash. */
  private static void checkEffects(Target target, RunResult r, Journal journal, boolean failFifth, int crashes) {
    long most = 1 + crashes;
    String context = "crash case " + r.runId() + ", effects " + target.log + ", journal "
        + journal.read(r.runId()).stream().map(e -> e.getClass().getSimpleName()).toList();
    assertThat(r.state()).as(context).isEqualTo(failFifth ? RunState.ROLLED_BACK : RunState.SUCCEEDED);
    for (int i = 1; i <= 5; i++) {
      String step = "s" + i;
      // at most twice, and only ever with the same idempotency key
      assertThat(target.count("do:" + step)).as(context).isBetween(1L, most);
      assertThat(target.log.stream().filter(l -> l.startsWith("do:" + step + " ")).map(l -> l.split(" ")[1])
          .collect(Collectors.toSet())).as(context).allMatch(k -> k.equals(r.runId() + ":" + step));
      if (failFifth) {
        assertThat(target.count("undo:" + step)).as(context).isBetween(1L, most);
      } else {
        assertThat(target.count("undo:" + step)).as(context).isZero();
      }
    }
    // a step whose success was journaled is never run again
    List<RunEvent> events = journal.read(r.runId());
    for (RunEvent e : events) {
      if (e instanceof RunEvent.StepSucceeded s) {
        assertThat(events.stream().filter(x -> x instanceof RunEvent.StepStarted st && st.stepId().equals(s.stepId())
            && x.at().isAfter(s.at())).count()).as(context + " re-ran " + s.stepId()).isZero();
      }
    }
    if (failFifth) {
      assertThat(r.compensated()).as(context).containsExactly("s5", "s4", "s3", "s2", "s1");
    }
  }

  @TestFactory
  Stream<DynamicTest> aCrashBeforeAnyJournalWriteResumesCorrectly() {
    List<DynamicTest> tests = new ArrayList<>();
    for (boolean failFifth : new boolean[] {false, true}) {
      int n = eventsOfACleanRun(failFifth);
      for (int k = 1; k <= n; k++) {
        int crash = k;
        String path = failFifth ? "failing run (rollback path)" : "succeeding run (forward path)";
        tests.add(DynamicTest.dynamicTest("crash before write " + k + " of " + n + ", " + path, () -> {
          Target target = new Target();
          Journal journal = new InMemoryJournal();
          RunResult r = crashAndResume(journal, fiveSteps(target, failFifth), crash, VirtualTime.create(), null);
          checkEffects(target, r, journal, failFifth);
        }));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> aCrashDuringRecoveryIsRecoveredToo() {
    int n = eventsOfACleanRun(true);
    return IntStream.rangeClosed(1, n).filter(k -> k % 3 == 1).mapToObj(k -> DynamicTest.dynamicTest(
        "crash before write " + k + ", then again 4 writes into the recovery", () -> {
          Target target = new Target();
          Journal journal = new InMemoryJournal();
          RunResult r = crashAndResume(journal, fiveSteps(target, true), k, VirtualTime.create(), 4);
          checkEffects(target, r, journal, true, 2);
        }));
  }

  @Test
  void onSqliteTheResumedRunReadsItsOutputsBackFromJson(@TempDir Path dir) {
    Target target = new Target();
    StepKey<Integer> count = StepKey.of("count", Integer.class);
    Runbook<Void> rb = Runbook.builder("typed-resume")
        .step(count, s -> s.action(ctx -> 41).compensate((ctx, n) -> {}))
        .sleep("pause", Duration.ofMinutes(5))
        .step("use", s -> s.action(ctx -> {
          target.log.add("use " + (ctx.output(count) + 1));
          return null;
        }).readOnly())
        .build();
    try (JdbcJournal journal = JdbcJournal.sqlite(dir.resolve("journal.db"))) {
      RunResult r = crashAndResume(journal, rb, 6, VirtualTime.create(), null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(target.log).containsExactly("use 42");
    }
  }

  @Test
  void anApprovalJournaledJustBeforeACrashStillPassesItsGate() {
    // found by the testing module's explorer when ApprovalGranted and GatePassed were two writes: a
    // journal written then may hold the last approval without the pass
    InMemoryJournal journal = new InMemoryJournal();
    VirtualTime time = VirtualTime.create();
    List<String> log = new CopyOnWriteArrayList<>();
    Runbook<Void> rb = Runbook.builder("approved")
        .gate("go", g -> g.approval(a -> a.approvers("alice", "bob").minApprovals(2)))
        .step("ship", s -> s.action(ctx -> log.add("ship")).readOnly())
        .build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = first.start(rb, null, RunOptions.defaults().withRunId("approved-1"));
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      first.approve("approved-1", "go", "alice");
    }
    RunEvent.RunStarted started = (RunEvent.RunStarted) journal.read("approved-1").get(0);
    journal.append(new RunEvent.ApprovalGranted("approved-1", "go", "bob", "", started.planHash(), time.now()));
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("approved-1", rb).await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(log).containsExactly("ship");
    }
  }

  @Test
  void theLastApprovalAndTheGatesPassAreOneWriteSoACrashLeavesBothOrNeither() {
    InMemoryJournal journal = new InMemoryJournal();
    VirtualTime time = VirtualTime.create();
    List<String> log = new CopyOnWriteArrayList<>();
    Runbook<Void> rb = Runbook.builder("approved")
        .gate("go", g -> g.approval(a -> a.approvers("alice", "bob").minApprovals(2)))
        .step("ship", s -> s.action(ctx -> log.add("ship")).readOnly())
        .build();
    Journal dying = dev.runbook4j.journal.FaultInjectingJournal.wrap(journal)
        .failWrites(e -> e instanceof RunEvent.GatePassed);
    try (RunbookEngine first = RunbookEngine.builder().journal(dying).virtualTime(time).build()) {
      RunHandle h = first.start(rb, null, RunOptions.defaults().withRunId("approved-2"));
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      first.approve("approved-2", "go", "alice");
      assertThatThrownBy(() -> first.approve("approved-2", "go", "bob")).isInstanceOf(JournalException.class);
    }
    // bob's approval was not acknowledged, and is not in the journal either
    assertThat(journal.read("approved-2").stream().filter(RunEvent.ApprovalGranted.class::isInstance)
        .map(e -> ((RunEvent.ApprovalGranted) e).user())).containsExactly("alice");
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = second.resume("approved-2", rb);
      assertThat(h.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      second.approve("approved-2", "go", "bob");
      assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(log).containsExactly("ship");
    }
  }

  @Test
  void aSleepInterruptedByACrashResumesWithOnlyTheTimeLeft() {
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    Target target = new Target();
    Runbook<Void> rb = fiveSteps(target, false);
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("bake-run"));
      time.advance(Duration.ofMinutes(10));  // ten minutes into the thirty-minute pause: the process dies
    }
    time.advance(Duration.ofMinutes(5));      // five minutes to restart
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("bake-run", rb).await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      // the deadline was absolute: the run ends 30 minutes after the pause began, not 30 after the restart
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofMinutes(30));
    }
  }

  @Test
  void anApprovalGrantedBeforeARestartStillCounts() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    Runbook<Void> rb = Runbook.builder("approve-resume")
        .gate("approval", g -> g.approval(a -> a.approvers("alice", "bob", "carol").minApprovals(2)
            .timeout(Duration.ofHours(4))))
        .step("go", s -> s.action(ctx -> "went").readOnly())
        .build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = first.start(rb, null, RunOptions.defaults().withRunId("ap").withRequester("dave"));
      h.await();
      first.approve("ap", "approval", "alice");
    }
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = second.resume("ap", rb);
      assertThat(h.await().isParked()).isTrue();
      second.approve("ap", "approval", "bob");
      assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void theApprovalTimeoutKeepsItsAbsoluteDeadlineAcrossARestart() {
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    InMemoryJournal journal = new InMemoryJournal();
    Runbook<Void> rb = Runbook.builder("approve-timeout")
        .gate("approval", g -> g.approval(a -> a.approvers("bob").timeout(Duration.ofHours(4))))
        .step("go", s -> s.action(ctx -> "went").readOnly())
        .build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("at").withRequester("dave")).await();
    }
    time.advance(Duration.ofHours(1));
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = second.resume("at", rb);
      h.await();
      time.advance(Duration.ofHours(3));
      assertThat(h.await().state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofHours(4));
    }
  }

  @Test
  void aReconcileHookThatFindsTheChangeSavesTheSecondAttempt() {
    Target target = new Target();
    Runbook<Void> rb = Runbook.builder("reconcile")
        .step("create", s -> s.action(ctx -> {
          target.log.add("create " + ctx.idempotencyKey());
          return "id-7";
        }).compensate((ctx, id) -> {}).reconcile(ctx -> target.count("create") > 0 ? Optional.of("id-7")
            : Optional.empty()))
        .step("after", s -> s.action(ctx -> ctx.output("create")).readOnly())
        .build();
    InMemoryJournal journal = new InMemoryJournal();
    // RunStarted, StepStarted(create), then the crash before StepSucceeded(create): the action ran
    RunResult r = crashAndResume(journal, rb, 3, VirtualTime.create(), null);
    assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(target.count("create")).isEqualTo(1);
    assertThat(r.outputs()).containsEntry("after", "id-7");
    assertThat(journal.read(r.runId())).anyMatch(e -> e instanceof RunEvent.StepReconciled);
  }

  @Test
  void aRunbookWhosePlanChangedIsRefusedUnlessItDeclaresTheOldPlanCompatible() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    Target target = new Target();
    Runbook<Void> v1 = fiveSteps(target, false);
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(v1, null, RunOptions.defaults().withRunId("changed"));
      time.runUntilIdle();
    }
    String oldHash = Plan.of(v1, null).hash();
    Runbook<Void> v2 = Runbook.builder("five")
        .step("s1", s -> s.action(ctx -> "x").compensate((c, o) -> {}).retry(RetrySpec.of(2)))
        .build();
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      assertThatThrownBy(() -> second.resume("changed", v2)).isInstanceOf(RunbookDefinitionException.class)
          .hasMessageContaining("it was started with plan " + oldHash.substring(0, 12))
          .hasMessageContaining("declare compatibleWith(\"" + oldHash + "\")");
    }
  }

  @Test
  void aRunWhoseJournalWasEditedIsNotResumedAndFailsClosed(@TempDir Path dir) throws Exception {
    VirtualTime time = VirtualTime.create();
    Target target = new Target();
    Runbook<Void> rb = fiveSteps(target, false);
    try (JdbcJournal journal = JdbcJournal.sqlite(dir.resolve("j.db"))) {
      try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
        first.start(rb, null, RunOptions.defaults().withRunId("edited"));
        time.runUntilIdle();
      }
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("j.db"));
          Statement st = c.createStatement()) {
        st.execute("UPDATE rb4j_events SET body = REPLACE(body, 's1-out', 'evil') WHERE run_id = 'edited'");
      }
      int before = target.log.size();
      try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
        assertThatThrownBy(() -> second.resume("edited", rb)).isInstanceOf(JournalException.class)
            .hasMessageContaining("Run edited does not verify: event")
            .hasMessageContaining("no forward progress, no rollback");
        time.advance(Duration.ofHours(1));
      }
      assertThat(target.log).hasSize(before);
    }
  }

  @Test
  void resumingAnEndedRunReturnsItsResult() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    Runbook<Void> rb = fiveSteps(new Target(), true);
    String runId;
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      runId = first.run(rb, null).runId();
    }
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume(runId, rb).await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("s5", "s4", "s3", "s2", "s1");
    }
  }

  @Test
  void aCancelJournaledBeforeTheCrashStillRollsBack() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    Target target = new Target();
    Runbook<Void> rb = fiveSteps(target, false);
    try (RunbookEngine first = RunbookEngine.builder().journal(crashing(journal, 9)).virtualTime(time)
        .build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("cx"));
      time.runUntilIdle();  // waiting in the pause
      first.cancel("cx", "oncall", "abort the release");  // CancelRequested is write 8; the crash hits write 9
    }
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("cx", rb).await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("s2", "s1");
      assertThat(target.count("do:s3")).isZero();
    }
  }

  static Map<String, Long> counts(Target t) {
    return t.log.stream().collect(Collectors.groupingBy(l -> l.split(" ")[0], Collectors.counting()));
  }

  @Test
  void afterARestartEveryUnfinishedRunIsResumedAndFinishesAtItsDeadline() {
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    InMemoryJournal journal = new InMemoryJournal();
    Target target = new Target();
    Runbook<Void> rb = fiveSteps(target, false);
    Runbook<Void> other = Runbook.builder("other").sleep("nap", Duration.ofHours(2))
        .step("x", s -> s.action(ctx -> "x").readOnly()).build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.run(Runbook.builder("five").step("s1", s -> s.action(ctx -> "quick").readOnly()).build(), null);
      for (int i = 0; i < 20; i++) {
        first.start(rb, null, RunOptions.defaults());
      }
      first.start(other, null, RunOptions.defaults());
      time.runUntilIdle();  // all 21 wait in their pauses when the process stops
    }
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      List<RunHandle> resumed = second.resumeAll(name -> name.equals("five") ? rb : null);
      assertThat(resumed).hasSize(20);
      assertThat(resumed).allSatisfy(h -> assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED));
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofMinutes(30));
      assertThat(target.count("do:s1")).isEqualTo(20);
      assertThat(target.count("do:s5")).isEqualTo(20);
    }
  }

  @Test
  void startingARunIdAgainAfterARestartPicksTheRunUp() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    Target target = new Target();
    Runbook<Void> rb = fiveSteps(target, false);
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("deploy-7"));
      time.runUntilIdle();
    }
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.start(rb, null, RunOptions.defaults().withRunId("deploy-7")).await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(target.count("do:s1")).isEqualTo(1);
    }
  }
}
