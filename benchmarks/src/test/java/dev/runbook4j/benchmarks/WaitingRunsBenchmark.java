package dev.runbook4j.benchmarks;

import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap and threads per waiting run: starts N runs that each wait an hour (half in a bake watched
 * every minute, half at an approval), and reports the retained heap per run after a GC, beside the
 * heap of the same number of finished runs' handles (the baseline), and the live thread count.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java -Dbenchmark.main=dev.runbook4j.benchmarks.WaitingRunsBenchmark</pre>
 */
public final class WaitingRunsBenchmark {
  private WaitingRunsBenchmark() {}

  static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    VirtualTime time = VirtualTime.create();
    Runbook<Void> baking = Runbook.builder("baking")
        .watch("ok", Duration.ofMinutes(1), ctx -> dev.runbook4j.Health.healthy())
        .step("deploy", s -> s.action(ctx -> "v").compensate((ctx, o) -> {}))
        .bake("soak", Duration.ofHours(1))
        .build();
    Runbook<Void> approving = Runbook.builder("approving")
        .step("deploy", s -> s.action(ctx -> "v").compensate((ctx, o) -> {}))
        .gate("approval", g -> g.approval(a -> a.approvers("bob").timeout(Duration.ofHours(1))))
        .build();
    // a journal that keeps no ended runs, so that what remains is the waiting runs' own cost
    try (RunbookEngine engine = RunbookEngine.builder().journal(InMemoryJournal.withRetention(0)).virtualTime(time)
        .maxWorkers(8).build()) {
      engine.run(baking, null);  // warm up classes
      long before = usedAfterGc();
      int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
      List<RunHandle> handles = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        handles.add(engine.start(i % 2 == 0 ? baking : approving, null, RunOptions.defaults().withRequester("alice")));
      }
      time.runUntilIdle();
      long waiting = usedAfterGc() - before;
      int threads = ManagementFactory.getThreadMXBean().getThreadCount();
      long parked = handles.stream().filter(h -> h.status().state() == RunState.WAITING
          || h.status().state() == RunState.AWAITING_APPROVAL).count();
      System.out.printf("%d runs waiting (%d parked at a bake or an approval): %.0f bytes of heap per waiting run"
          + " (journal included; target ~400), %d live threads (%d before)%n", n, parked, (double) waiting / n,
          threads, threadsBefore);
    }
    System.exit(0);
  }
}
