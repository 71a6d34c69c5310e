package dev.runbook4j.benchmarks;

import dev.runbook4j.Health;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Heap and threads per waiting run, on the embedded default journal (SQLite): starts N runs that
 * each wait (half in an hour's bake watched every five minutes, half at an approval with a two-hour
 * timeout), and reports the heap they retain after a GC, with parking (the default) and, as the
 * baseline in the same process, without it. Then restarts the engine on the same file, re-arms every
 * run with {@code resumeAll}, approves half the approvals and moves the clock past every deadline:
 * all runs must end.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java -Dbenchmark.main=dev.runbook4j.benchmarks.WaitingRunsBenchmark [-Dexec.args=N]</pre>
 */
public final class WaitingRunsBenchmark {
  private WaitingRunsBenchmark() {}

  static long usedAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  static final Runbook<Void> BAKING = Runbook.builder("baking")
      .watch("ok", Duration.ofMinutes(5), ctx -> Health.healthy())
      .step("deploy", s -> s.action(ctx -> "v").compensate((ctx, o) -> {}))
      .bake("soak", Duration.ofHours(1))
      .build();
  static final Runbook<Void> APPROVING = Runbook.builder("approving")
      .step("deploy", s -> s.action(ctx -> "v").compensate((ctx, o) -> {}))
      .gate("approval", g -> g.approval(a -> a.approvers("bob").timeout(Duration.ofHours(2))))
      .build();

  record Measured(double bytesPerRun, int threads, long millis, List<String> ids) {}

  static Measured fill(RunbookEngine engine, VirtualTime time, int n) {
    engine.run(BAKING, null);  // warm up classes and statements
    long before = usedAfterGc();
    long t0 = System.nanoTime();
    List<String> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(engine.start(i % 2 == 0 ? BAKING : APPROVING, null, RunOptions.defaults().withRequester("alice"))
          .runId());
    }
    time.runUntilIdle();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    double perRun = (double) (usedAfterGc() - before) / n;
    return new Measured(perRun, ManagementFactory.getThreadMXBean().getThreadCount(), millis, ids);
  }

  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Path dir = Files.createTempDirectory("rb4j-waiting");
    VirtualTime time = VirtualTime.create();

    Measured baseline;
    try (JdbcJournal journal = JdbcJournal.sqlite(dir.resolve("baseline.db"));
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).noParking().build()) {
      baseline = fill(engine, time, n);
      System.out.printf("baseline, no parking: %d runs waiting: %.0f bytes of heap per run, %d live threads"
          + " (started in %d ms)%n", n, baseline.bytesPerRun(), baseline.threads(), baseline.millis());
    }

    Path file = dir.resolve("parked.db");
    Measured parked;
    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      parked = fill(engine, time, n);
      System.out.printf("parked (default):     %d runs waiting (%s): %.0f bytes of heap per run (%.2fx the"
          + " baseline; target ~400), %d live threads (started in %d ms)%n", n, engine.load(), parked.bytesPerRun(),
          parked.bytesPerRun() / baseline.bytesPerRun(), parked.threads(), parked.millis());
      Summary.row("WaitingRuns", n + " runs parked in bakes and at approvals (SQLite), heap per run",
          String.format("%.0f B", parked.bytesPerRun()), String.format("the same runs not parked %.0f B",
              baseline.bytesPerRun()), parked.bytesPerRun() / baseline.bytesPerRun(),
          Summary.atMost(parked.bytesPerRun(), 400, "≤ ~400 B per run"));
      Summary.row("WaitingRuns", n + " runs parked, live threads in the JVM", String.valueOf(parked.threads()),
          "not parked: " + baseline.threads(), (double) parked.threads() / baseline.threads(),
          Summary.atMost(parked.threads(), 63, "< 64 threads"));
    }

    try (JdbcJournal journal = JdbcJournal.sqlite(file);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      long t0 = System.nanoTime();
      int resumed = engine.resumeAll(Map.of("baking", BAKING, "approving", APPROVING)::get).size();
      time.runUntilIdle();
      long rearm = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("restart: %d runs taken over by resumeAll in %d ms (%s)%n", resumed, rearm, engine.load());
      for (int i = 1; i < parked.ids().size(); i += 4) {
        engine.approve(parked.ids().get(i), "approval", "bob");
      }
      time.advance(Duration.ofHours(3));
      long ended = parked.ids().stream().filter(id -> engine.status(id).state().isTerminal()).count();
      long succeeded = parked.ids().stream().filter(id -> engine.status(id).state() == RunState.SUCCEEDED).count();
      System.out.printf("after the deadlines: %d of %d runs ended (%d succeeded; the unapproved half of the"
          + " approvals timed out and rolled back); %s%n", ended, n, succeeded, engine.load());
    }
    System.exit(0);
  }
}
