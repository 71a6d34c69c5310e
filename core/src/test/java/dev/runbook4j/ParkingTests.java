package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Waiting runs are parked: the run lives in the journal (on a JDBC journal nothing of it stays in
 * memory; on the in-memory journal a small entry), one timer serves them all, and a run is rebuilt
 * when its time comes or a decision arrives. (Heap per parked run is measured in the
 * benchmarks: WaitingRunsBenchmark.)
 */
class ParkingTests {
  @TempDir
  Path dir;

  static Runbook<Void> baking(List<String> checks) {
    return Runbook.builder("baking")
        .watch("alarms", Duration.ofMinutes(5), ctx -> {
          checks.add(ctx.runId() + "@" + ctx.clock().instant());
          return Health.healthy();
        })
        .step("deploy", s -> s.action(ctx -> "v2").compensate((ctx, out) -> {}))
        .bake("soak", Duration.ofHours(1))
        .step("finish", s -> s.action(ctx -> ctx.output("deploy") + " live").readOnly())
        .build();
  }

  static Runbook<Void> approving() {
    return Runbook.builder("approving")
        .step("stage", s -> s.action(ctx -> "staged").compensate((ctx, out) -> {}))
        .gate("go", g -> g.approval(a -> a.approvers("bob").timeout(Duration.ofHours(2))))
        .step("release", s -> s.action(ctx -> "released").compensate((ctx, out) -> {}))
        .build();
  }

  @Test
  void hundredsOfWaitingRunsAreParkedInTheJournalAndReArmedAfterARestart() {
    int n = 400;
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    List<String> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
    Runbook<Void> baking = baking(checks);
    Runbook<Void> approving = approving();
    Path file = dir.resolve("journal.db");
    List<String> ids = new ArrayList<>();
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      for (int i = 0; i < n; i++) {
        ids.add(engine.start(i % 2 == 0 ? baking : approving, null, RunOptions.defaults().withRequester("alice"))
            .runId());
      }
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, n));
      // should the burst of starts have made the worker pool grow, its extra threads end once idle: a real
      // wait, on real threads ending, of at most seconds
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (ManagementFactory.getThreadMXBean().getThreadCount() >= 64 && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThan(64);
      time.advance(Duration.ofMinutes(20));  // bakes wake for their watch checks and park again
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, n));
      assertThat(checks).hasSize(n / 2 * 5);  // before the deploy step, then at minutes 5, 10, 15 and 20
    }
    // a restart: a new engine on the same file
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      assertThat(engine.resumeAll(Map.of("baking", baking, "approving", approving)::get)).hasSize(n);
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, n));
      for (int i = 1; i < n; i += 4) {
        engine.approve(ids.get(i), "go", "bob");  // half the approvals arrive; the others time out
      }
      time.advance(Duration.ofHours(3));
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 0));
      for (int i = 0; i < n; i++) {
        RunStatus s = engine.status(ids.get(i));
        RunState expected = i % 2 == 0 || i % 4 == 1 ? RunState.SUCCEEDED : RunState.ROLLED_BACK;
        assertThat(s.state()).as(ids.get(i)).isEqualTo(expected);
        assertThat(journal.verify(ids.get(i)).ok()).isTrue();
      }
      // each bake ended at its own deadline, an hour after it began, though the process restarted in between
      for (int i = 0; i < n; i += 2) {
        List<RunEvent> events = engine.history(ids.get(i));
        RunEvent.WaitStarted started = first(events, RunEvent.WaitStarted.class);
        assertThat(first(events, RunEvent.WaitFinished.class).at()).isEqualTo(started.deadline())
            .isEqualTo(t0.plus(Duration.ofHours(1)));
      }
    }
  }

  @Test
  void aJournalThatCannotRecordParkedRunsHasThemParkedInMemoryAndTheyEndOnTime() {
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    List<String> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (JdbcJournal jdbc = JdbcJournal.sqlite(dir.resolve("journal.db"))) {
      dev.runbook4j.journal.FaultInjectingJournal journal = dev.runbook4j.journal.FaultInjectingJournal.wrap(jdbc)
          .failParkedRuns();
      try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
        String baked = engine.start(baking(checks), null, RunOptions.defaults()).runId();
        String approved = engine.start(approving(), null, RunOptions.defaults().withRequester("alice")).runId();
        time.runUntilIdle();
        assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 2));
        assertThat(journal.injected()).isEqualTo(2);
        journal.heal();
        assertThat(jdbc.parkedRuns().orElseThrow().count("any")).isZero();
        assertThat(jdbc.parkedRuns().orElseThrow().find(baked)).isEmpty();  // in memory, not in the table
        engine.approve(approved, "go", "bob");
        time.advance(Duration.ofHours(1));
        assertThat(engine.status(approved).state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(engine.status(baked).state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(first(engine.history(baked), RunEvent.WaitFinished.class).at()).isEqualTo(t0.plus(Duration.ofHours(1)));
        assertThat(checks).hasSize(14);  // as if the journal had parked it (see the next test)
      }
    }
  }

  @Test
  void aRunParkedInTheJournalWakesOnceTheJournalAnswersAgainAndADecisionMeanwhileIsRefusedClearly() {
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    List<String> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (JdbcJournal jdbc = JdbcJournal.sqlite(dir.resolve("journal.db"))) {
      dev.runbook4j.journal.FaultInjectingJournal journal = dev.runbook4j.journal.FaultInjectingJournal.wrap(jdbc);
      try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
        String baked = engine.start(baking(checks), null, RunOptions.defaults()).runId();
        String approved = engine.start(approving(), null, RunOptions.defaults().withRequester("alice")).runId();
        time.runUntilIdle();
        assertThat(jdbc.parkedRuns().orElseThrow().find(baked)).isPresent();
        assertThat(jdbc.parkedRuns().orElseThrow().find(approved)).isPresent();
        journal.failParkedRuns();
        time.advance(Duration.ofMinutes(30));  // the bake's watch checks cannot wake it: its row cannot be read
        assertThat(engine.status(baked).state()).isEqualTo(RunState.WAITING);
        assertThat(checks).hasSize(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.approve(approved, "go", "bob"))
            .isInstanceOf(dev.runbook4j.JournalException.class)
            .hasMessageContaining("parked runs could not find run " + approved);
        assertThat(engine.status(approved).state()).isEqualTo(RunState.AWAITING_APPROVAL);
        journal.heal();
        time.advance(Duration.ofMinutes(1));  // the next try finds both rows
        engine.approve(approved, "go", "bob");
        time.advance(Duration.ofHours(1));
        assertThat(engine.status(approved).state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(engine.status(baked).state()).isEqualTo(RunState.SUCCEEDED);
        List<RunEvent> events = engine.history(baked);
        assertThat(first(events, RunEvent.WaitFinished.class).at()).isEqualTo(t0.plus(Duration.ofHours(1)));
        assertThat(events.stream().filter(RunEvent.StepSucceeded.class::isInstance)).hasSize(2);
        assertThat(checks).hasSize(1 + 2 + 6);  // the missed checks once, on waking; then every five minutes
        assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 0));
        assertThat(jdbc.parkedRuns().orElseThrow().find(baked)).isEmpty();
      }
    }
  }

  private static <E extends RunEvent> E first(List<RunEvent> events, Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
  }

  @Test
  void parkedRunsShareOneTimerAndARunWokenEarlyLeavesNoTimerBehind() {
    VirtualTime time = VirtualTime.create();
    Instant t0 = time.now();
    List<String> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).build()) {
      List<String> approvals = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        engine.start(baking(checks), null, RunOptions.defaults());
        approvals.add(engine.start(approving(), null, RunOptions.defaults()).runId());
        time.advance(Duration.ofSeconds(7));  // every run has its own time to wake
      }
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 100));
      assertThat(time.pendingTimers()).isEqualTo(1);  // one timer for 100 parked runs, armed for the earliest
      for (String id : approvals) {
        engine.approve(id, "go", "bob");  // woken before their two-hour deadline: they end now
      }
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 50));
      assertThat(time.pendingTimers()).isEqualTo(1);
      Instant before = time.now();
      time.advance(Duration.ofMinutes(61));  // every bake ends; nothing is left to wake
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 0));
      assertThat(time.pendingTimers()).isZero();
      assertThat(checks).hasSize(50 * 14);  // each run's watch checks, as if it had never parked (see the first test)
      assertThat(Duration.between(t0, before)).isEqualTo(Duration.ofSeconds(350));
    }
  }

  @Test
  void aParkedBakeStillSeesItsWatchBreachAtTheNextCheck() {
    VirtualTime time = VirtualTime.create();
    Instant breachAt = time.now().plus(Duration.ofMinutes(12));
    Runbook<Void> rb = Runbook.builder("watched")
        .watch("alarms", Duration.ofMinutes(5),
            ctx -> ctx.clock().instant().isBefore(breachAt) ? Health.healthy() : Health.breached("5xx > 1%"))
        .step("deploy", s -> s.action(ctx -> "v2").compensate((ctx, out) -> {}))
        .bake("soak", Duration.ofHours(1))
        .build();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).build()) {
      RunHandle h = engine.start(rb, null, RunOptions.defaults());
      time.runUntilIdle();
      assertThat(engine.load().parked()).isEqualTo(1);
      RunResult r = h.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      RunEvent.WatchBreached breach = first(engine.history(h.runId()), RunEvent.WatchBreached.class);
      assertThat(breach.at()).isEqualTo(time.now()).isEqualTo(breachAt.plus(Duration.ofMinutes(3)));
      assertThat(engine.history(h.runId())).noneMatch(RunEvent.RunResumed.class::isInstance);
    }
  }

  @Test
  void aParkedApprovalIsWokenByTheDecisionAndAShortWaitIsNotParked() {
    VirtualTime time = VirtualTime.create();
    Runbook<Void> rb = Runbook.builder("short-then-approve")
        .step("a", s -> s.action(ctx -> "a").compensate((ctx, out) -> {}))
        .sleep("settle", Duration.ofSeconds(30))
        .gate("go", g -> g.approval(a -> a.approvers("bob")))
        .build();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).build()) {
      RunHandle h = engine.start(rb, null, RunOptions.defaults().withRequester("alice"));
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(1, 0));  // 30 s: below the threshold
      assertThat(h.await().isParked()).isTrue();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 1));
      assertThat(h.status().awaitingApproval()).containsExactly("go");
      assertThat(h.status().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      engine.approve(h.runId(), "go", "bob");
      assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 0));
    }
  }

  @Test
  void withoutParkingWaitingRunsStayInMemory() {
    VirtualTime time = VirtualTime.create();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).noParking().build()) {
      RunHandle h = engine.start(approving(), null, RunOptions.defaults().withRequester("alice"));
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(1, 0));
      engine.cancel(h.runId(), "alice", "no");
      assertThat(h.await().state()).isEqualTo(RunState.ROLLED_BACK);
    }
  }

  @Test
  void aParkedRunWhoseJournalWasEditedIsNotRebuiltAndSaysWhy() throws Exception {
    VirtualTime time = VirtualTime.create();
    Path file = dir.resolve("edited.db");
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = engine.start(approving(), null, RunOptions.defaults().withRequester("alice"));
      time.runUntilIdle();
      assertThat(engine.load().parked()).isEqualTo(1);
      try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
          java.sql.Statement st = c.createStatement()) {
        st.execute("UPDATE rb4j_events SET body = replace(body, 'staged', 'STAGED') WHERE run_id = '" + h.runId()
            + "'");
      }
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.approve(h.runId(), "go", "bob"))
          .isInstanceOf(JournalException.class).hasMessageContaining("does not verify")
          .hasMessageContaining("no forward progress, no rollback");
      org.assertj.core.api.Assertions.assertThatThrownBy(h::await).isInstanceOf(JournalException.class)
          .hasMessageContaining("does not verify");
    }
  }

  static int parkedRows(Path file) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM rb4j_parked")) {
      return rs.next() ? rs.getInt(1) : -1;
    }
  }

  @Test
  void onAJdbcJournalParkedRunsLiveInTheJournalAndTheirHandlesStillSeeThemEnd() throws Exception {
    VirtualTime time = VirtualTime.create();
    Path file = dir.resolve("stored.db");
    List<String> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle baking = engine.start(baking(checks), null, RunOptions.defaults());
      RunHandle approving = engine.start(approving(), null, RunOptions.defaults().withRequester("alice"));
      java.util.concurrent.CompletableFuture<RunResult> bakingResult = baking.result();
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 2));
      assertThat(parkedRows(file)).isEqualTo(2);  // kept in the journal, not in memory
      assertThat(approving.await().isParked()).isTrue();
      assertThat(approving.status().state()).isEqualTo(RunState.AWAITING_APPROVAL);
      engine.approve(approving.runId(), "go", "bob");
      assertThat(approving.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(parkedRows(file)).isEqualTo(1);
      assertThat(bakingResult).isNotDone();
      RunResult r = baking.await();  // drives virtual time through the hour: woken, parked again, 12 times
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.outputs()).containsEntry("finish", "v2 live");
      assertThat(bakingResult).isCompletedWithValueMatching(x -> x.state() == RunState.SUCCEEDED);
      assertThat(checks).hasSize(14);  // as in memory (see parkedRunsShareOneTimer...)
      assertThat(parkedRows(file)).isZero();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 0));
    }
  }

  /** Parameters that come back from their journaled JSON: a run of them parks in the journal. */
  public record Release(String version) {}

  /** Parameters that do not (no equals; a value the journal does not show): a run of them parks in memory. */
  public static final class Opaque {
    private final String version;
    private final transient String token;

    public Opaque(String version, String token) {
      this.version = version;
      this.token = token;
    }

    public String getVersion() {
      return version;
    }
  }

  @Test
  void aRunWhoseParametersDoNotComeBackFromTheJournalParksInMemoryWithThem() throws Exception {
    VirtualTime time = VirtualTime.create();
    Path file = dir.resolve("params.db");
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Runbook<Release> release = Runbook.builder("release", Release.class)
        .sleep("wait", Duration.ofHours(1))
        .step("go", s -> s.action(ctx -> seen.add(ctx.params().version())).readOnly())
        .build();
    Runbook<Opaque> opaque = Runbook.builder("opaque", Opaque.class)
        .sleep("wait", Duration.ofHours(1))
        .step("go", s -> s.action(ctx -> seen.add(ctx.params().getVersion() + "/" + ctx.params().token)).readOnly())
        .build();
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle a = engine.start(release, new Release("v7"), RunOptions.defaults());
      RunHandle b = engine.start(opaque, new Opaque("v8", "s3cret"), RunOptions.defaults());
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 2));
      assertThat(parkedRows(file)).isEqualTo(1);
      time.advance(Duration.ofHours(1));
      assertThat(a.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(b.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(seen).containsExactlyInAnyOrder("v7", "v8/s3cret");
    }
  }

  @Test
  void afterARestartParkedRunsAreTakenOverWhereTheyWaitAndOneWhosePlanChangedDoesNotGoOn() throws Exception {
    VirtualTime time = VirtualTime.create();
    Path file = dir.resolve("restart.db");
    Runbook<Void> v1 = Runbook.builder("nightly")
        .step("a", s -> s.action(ctx -> "a").compensate((ctx, o) -> {}))
        .sleep("wait", Duration.ofHours(2))
        .build();
    Runbook<Void> v2 = Runbook.builder("nightly")
        .step("a", s -> s.action(ctx -> "a").compensate((ctx, o) -> {}))
        .step("b", s -> s.action(ctx -> "b").compensate((ctx, o) -> {}))
        .sleep("wait", Duration.ofHours(2))
        .build();
    List<String> ids = new ArrayList<>();
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      for (int i = 0; i < 3; i++) {
        ids.add(engine.start(v1, null, RunOptions.defaults()).runId());
      }
      time.runUntilIdle();
      assertThat(parkedRows(file)).isEqualTo(3);
    }
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      assertThat(engine.resumeAll(Map.of("nightly", v1)::get)).extracting(RunHandle::runId)
          .containsExactlyInAnyOrderElementsOf(ids);
      assertThat(engine.load()).isEqualTo(new RunbookEngine.Load(0, 3));  // taken over where they wait: none rebuilt
      time.advance(Duration.ofHours(2));
      assertThat(ids).allSatisfy(id -> assertThat(engine.status(id).state()).isEqualTo(RunState.SUCCEEDED));
      assertThat(parkedRows(file)).isZero();
    }
    // the same again, but the restarted engine is given a changed runbook
    ids.clear();
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      ids.add(engine.start(v1, null, RunOptions.defaults()).runId());
      time.runUntilIdle();
    }
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = engine.resumeAll(Map.of("nightly", v2)::get).get(0);
      time.advance(Duration.ofHours(2));
      assertThat(engine.status(h.runId()).state()).isEqualTo(RunState.WAITING);  // did not go on
      org.assertj.core.api.Assertions.assertThatThrownBy(h::await).isInstanceOf(JournalException.class)
          .hasMessageContaining("cannot go on").hasMessageContaining("compatibleWith");
    }
  }

  @Test
  void aRunRebuiltAtItsApprovalDoesNotJournalItsWayThereAgain() {
    VirtualTime time = VirtualTime.create();
    for (boolean inJournal : new boolean[] {true, false}) {
      try (JdbcJournal journal = JdbcJournal.sqlite(dir.resolve("states-" + inJournal + ".db"));
          RunbookEngine engine = (inJournal ? RunbookEngine.builder().journal(journal)
              : RunbookEngine.builder()).virtualTime(time).build()) {
        RunHandle h = engine.start(approving(), null, RunOptions.defaults().withRequester("alice"));
        time.runUntilIdle();
        assertThat(engine.load().parked()).isEqualTo(1);
        engine.approve(h.runId(), "go", "bob");
        assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(engine.history(h.runId())).filteredOn(RunEvent.RunStateChanged.class::isInstance)
            .map(e -> ((RunEvent.RunStateChanged) e).from() + "→" + ((RunEvent.RunStateChanged) e).to())
            .containsExactly("RUNNING→AWAITING_APPROVAL", "AWAITING_APPROVAL→RUNNING", "RUNNING→SUCCEEDED");
      }
    }
  }
}
