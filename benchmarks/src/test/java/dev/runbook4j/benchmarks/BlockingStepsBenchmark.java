package dev.runbook4j.benchmarks;

import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Steps that block, as every AWS call does (50–500 ms): 1,000 runs of 20 steps that each block for
 * 100 ms, started at once, on the engine's default worker pool, against the same on an unbounded
 * pool (a thread for every task that waits: the most parallelism there is). The target: within 2×
 * the unbounded time; the peak thread count of each is reported. The in-memory journal, so only the
 * pool is measured.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:exec@all -Dbenchmarks=BlockingSteps</pre>
 */
public final class BlockingStepsBenchmark {
  private BlockingStepsBenchmark() {}

  static final int RUNS = 1000;
  static final int STEPS = 20;
  static final long BLOCK_MS = 100;

  static Runbook<Void> runbook() {
    Runbook.Builder<Void> b = Runbook.builder("blocking");
    for (int i = 1; i <= STEPS; i++) {
      b.step("call-" + i, s -> s.action(ctx -> {
        Thread.sleep(BLOCK_MS);   // stands for an API call: the thread waits, the CPU does not
        return "ok";
      }).compensate((ctx, out) -> { }));
    }
    return b.build();
  }

  record Figure(double seconds, int peakThreads) {}

  static Figure measure(ExecutorService workers) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Runbook<Void> rb = runbook();
    RunbookEngine.Builder b = RunbookEngine.builder();
    if (workers != null) {
      b.workers(workers);
    }
    try (RunbookEngine engine = b.build()) {
      threads.resetPeakThreadCount();
      long t0 = System.nanoTime();
      List<RunHandle> handles = new ArrayList<>();
      for (int i = 0; i < RUNS; i++) {
        handles.add(engine.start(rb, null, RunOptions.defaults()));
      }
      for (RunHandle h : handles) {
        if (h.await().state() != RunState.SUCCEEDED) {
          throw new IllegalStateException("every run should succeed");
        }
      }
      return new Figure((System.nanoTime() - t0) / 1e9, threads.getPeakThreadCount());
    } finally {
      if (workers != null) {
        workers.shutdownNow();
      }
    }
  }

  public static void main(String[] args) {
    measure(Executors.newCachedThreadPool());   // warm-up of the engine's code
    Figure unbounded = measure(Executors.newCachedThreadPool());
    Figure pooled = measure(null);
    double ideal = STEPS * BLOCK_MS / 1000.0;
    System.out.printf("%d runs x %d steps blocking %d ms (%.1f s if every run went on at once): default pool %.2f s,"
        + " peak %d threads; unbounded pool %.2f s, peak %d threads%n", RUNS, STEPS, BLOCK_MS, ideal, pooled.seconds,
        pooled.peakThreads, unbounded.seconds, unbounded.peakThreads);
    double ratio = pooled.seconds / unbounded.seconds;
    Summary.row("BlockingSteps", RUNS + " runs × " + STEPS + " steps blocking " + BLOCK_MS + " ms, default pool (peak "
        + pooled.peakThreads + " threads)", String.format("%.2f s", pooled.seconds), String.format(
        "unbounded pool %.2f s (peak %d threads)", unbounded.seconds, unbounded.peakThreads), ratio,
        Summary.atMost(ratio, 2, "≤ 2× unbounded"));
    System.exit(0);
  }
}
