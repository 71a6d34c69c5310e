package dev.runbook4j.benchmarks;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.JdbcJournal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Durable steps per second, each beside its floor measured in the same run: the fsync latency of
 * the journal's disk (a loop of append + force). A durable step is two commits (its intent and its
 * result), so one run's ceiling is one step per two syncs; concurrent runs share syncs through the
 * journal's group commit.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java</pre>
 */
public final class DurableBenchmark {
  private static final int STEPS = 100;
  private static final int CONCURRENT_RUNS = 100;
  private static final int STEPS_PER_CONCURRENT_RUN = 20;

  private DurableBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("runbook4j-durable");
    double fsyncMicros = fsyncLatencyMicros(dir.resolve("fsync.bin"), 300);
    double ceiling = 1_000_000 / fsyncMicros / 2;
    System.out.printf("fsync floor: %.0f us per append+force on %s -> ceiling %.0f durable steps/s for one run%n",
        fsyncMicros, dir, ceiling);
    report("SQLite", "jdbc:sqlite:" + dir.resolve("journal.db"), ceiling);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      report("PostgreSQL", pg.getJdbcUrl("postgres", "postgres"), ceiling);
    }
    System.exit(0);
  }

  static double fsyncLatencyMicros(Path file, int n) throws IOException {
    ByteBuffer line = ByteBuffer.wrap(new byte[300]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      for (int i = 0; i < 20; i++) {
        line.rewind();
        ch.write(line);
        ch.force(false);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        line.rewind();
        ch.write(line);
        ch.force(false);
      }
      return (System.nanoTime() - t0) / 1000.0 / n;
    }
  }

  static Runbook<Void> noop(int steps) {
    Runbook.Builder<Void> b = Runbook.builder("durable-" + steps);
    for (int i = 0; i < steps; i++) {
      int v = i;
      b.step("s" + i, s -> s.action(ctx -> v).compensate((ctx, o) -> {}));
    }
    return b.build();
  }

  static void report(String db, String url, double ceiling) {
    try (JdbcJournal journal = JdbcJournal.open(url);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).maxWorkers(CONCURRENT_RUNS + 4).build()) {
      engine.run(noop(10), null);  // warm up
      Runbook<Void> one = noop(STEPS);
      long t0 = System.nanoTime();
      RunResult r = engine.run(one, null);
      double oneRun = STEPS / ((System.nanoTime() - t0) / 1e9);
      check(r);

      Runbook<Void> small = noop(STEPS_PER_CONCURRENT_RUN);
      long t1 = System.nanoTime();
      List<CompletableFuture<RunResult>> all = new ArrayList<>();
      for (int i = 0; i < CONCURRENT_RUNS; i++) {
        all.add(engine.start(small, null, dev.runbook4j.RunOptions.defaults()).result());
      }
      for (CompletableFuture<RunResult> f : all) {
        check(f.join());
      }
      double concurrent = CONCURRENT_RUNS * STEPS_PER_CONCURRENT_RUN / ((System.nanoTime() - t1) / 1e9);
      System.out.printf("%-10s one run: %7.0f steps/s = %.2fx the fsync ceiling (target >= 0.5)%n", db, oneRun,
          oneRun / ceiling);
      System.out.printf("%-10s %d concurrent runs: %7.0f steps/s = %.1fx one run (target >= 5)%n", db,
          CONCURRENT_RUNS, concurrent, concurrent / oneRun);
    }
  }

  private static void check(RunResult r) {
    if (r.state() != RunState.SUCCEEDED) {
      throw new IllegalStateException("benchmark run did not succeed: " + r);
    }
  }
}
