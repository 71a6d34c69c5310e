package dev.runbook4j.benchmarks;

import dev.runbook4j.Health;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
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
 * baseline in the same process, without it; and the journal work of the engine's heartbeat while they
 * wait, against the same with a tenth of the runs (a runner's heartbeat writes one row and reads
 * nothing per parked run) and against one append. Then restarts the engine on the same file, re-arms every
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
    // the worker pool may have grown during the burst of starts (its threads were busy in the runs'
    // first actions); it goes back to its base size once it has not needed more for 2 s: wait for that
    // (real time, at most 10 s), so the threads counted are what the waiting runs keep
    long until = System.nanoTime() + 10_000_000_000L;
    while (ManagementFactory.getThreadMXBean().getThreadCount() > 40 && System.nanoTime() < until) {
      try {
        Thread.sleep(100);  // real time: the pool's own monitor settles it on real time
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    double perRun = (double) (usedAfterGc() - before) / n;
    return new Measured(perRun, ManagementFactory.getThreadMXBean().getThreadCount(), millis, ids);
  }

  /**
   * The journal work of the engine's heartbeat while the runs wait: the time spent in the journal's
   * leases and parked runs per heartbeat, over 24 heartbeats with nothing due (four virtual minutes);
   * returns it in µs, and the time of one append measured while the runs were started.
   */
  static double[] heartbeats(Timed journal, VirtualTime time) {
    double appendMicros = journal.appendNanos.sum() / 1e3 / journal.appends.sum();
    journal.heartbeatNanos.reset();
    Duration beat = JdbcJournal.DEFAULT_LEASE.dividedBy(3);
    int beats = 24;
    for (int i = 0; i < beats; i++) {
      time.advance(beat);
      time.runUntilIdle();
    }
    return new double[] {journal.heartbeatNanos.sum() / 1e3 / beats, appendMicros};
  }

  /** The engine of a runner sharing its journal: with the runbooks it may take over, which its heartbeat looks for. */
  static RunbookEngine runner(Timed journal, VirtualTime time) {
    return RunbookEngine.builder().journal(journal).virtualTime(time).runbooks(BAKING, APPROVING).build();
  }

  /** The journal, with the time the engine spends in its appends and in its leases and parked runs. */
  static final class Timed extends dev.runbook4j.spi.ForwardingJournal {
    final java.util.concurrent.atomic.LongAdder appendNanos = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder appends = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder heartbeatNanos = new java.util.concurrent.atomic.LongAdder();

    Timed(dev.runbook4j.spi.Journal delegate) {
      super(delegate);
    }

    @Override
    public void append(dev.runbook4j.RunEvent event) {
      long t0 = System.nanoTime();
      super.append(event);
      appendNanos.add(System.nanoTime() - t0);
      appends.increment();
    }

    @Override
    public java.util.Optional<dev.runbook4j.spi.RunLeases> leases() {
      return super.leases().map(l -> timed(dev.runbook4j.spi.RunLeases.class, l));
    }

    @Override
    public java.util.Optional<dev.runbook4j.spi.ParkedRuns> parkedRuns() {
      return super.parkedRuns().map(p -> timed(dev.runbook4j.spi.ParkedRuns.class, p));
    }

    private <T> T timed(Class<T> type, T target) {
      return type.cast(java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
          (proxy, method, args) -> {
            long t0 = System.nanoTime();
            try {
              return method.invoke(target, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            } finally {
              heartbeatNanos.add(System.nanoTime() - t0);
            }
          }));
    }
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

    double[] few;  // the heartbeat with a tenth of the runs parked: the baseline of the one with all of them
    try (JdbcJournal jdbc = JdbcJournal.sqlite(dir.resolve("few.db"))) {
      Timed journal = new Timed(jdbc);
      try (RunbookEngine engine = runner(journal, time)) {
        fill(engine, time, n / 10);
        few = heartbeats(journal, time);
      }
    }

    Path file = dir.resolve("parked.db");
    Measured parked;
    try (JdbcJournal jdbc = JdbcJournal.sqlite(file)) {
      Timed journal = new Timed(jdbc);
      RunbookEngine engine = runner(journal, time);
      parked = fill(engine, time, n);
      double[] all = heartbeats(journal, time);
      System.out.printf("parked (default):     %d runs waiting (%s): %.0f bytes of heap per run (%.2fx the"
          + " baseline; target ~400), %d live threads (started in %d ms)%n", n, engine.load(), parked.bytesPerRun(),
          parked.bytesPerRun() / baseline.bytesPerRun(), parked.threads(), parked.millis());
      System.out.printf("heartbeat (every %d s): %.0f µs of journal work with %d runs parked, %.0f µs with %d;"
          + " one append while starting them: %.0f µs%n", JdbcJournal.DEFAULT_LEASE.dividedBy(3).toSeconds(), all[0],
          n, few[0], n / 10, all[1]);
      Summary.row("WaitingRuns", n + " runs parked in bakes and at approvals (SQLite), heap per run",
          String.format("%.0f B", parked.bytesPerRun()), String.format("the same runs not parked %.0f B",
              baseline.bytesPerRun()), parked.bytesPerRun() / baseline.bytesPerRun(),
          Summary.atMost(parked.bytesPerRun(), 400, "≤ ~400 B per run"));
      Summary.row("WaitingRuns", n + " runs parked, live threads in the JVM", String.valueOf(parked.threads()),
          "not parked: " + baseline.threads(), (double) parked.threads() / baseline.threads(),
          Summary.atMost(parked.threads(), 63, "< 64 threads"));
      Summary.row("WaitingRuns", n + " runs parked, the journal work of a heartbeat", String.format("%.0f µs", all[0]),
          String.format("with %d runs parked %.0f µs", n / 10, few[0]), all[0] / few[0],
          Summary.atMost(all[0] / few[0], 2, "≤ 2× (the same whatever the runs)"));
      Summary.row("WaitingRuns", n + " runs parked, the journal work of a heartbeat", String.format("%.0f µs", all[0]),
          String.format("one append %.0f µs", all[1]), all[0] / all[1], Summary.atMost(all[0] / all[1], 10,
              "≤ 10 appends"));
      engine.close();
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
