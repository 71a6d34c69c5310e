package dev.runbook4j.benchmarks;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.Runbook;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.Subject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How failure-point exploration grows with the runbook: a runbook of N steps (N - 3 compensated, a
 * read-only check, an irreversible clean-up, a health gate, two 30-minute bakes under a watch),
 * every failure point found and run, for N = 50, 100 and 200 — each in a fresh JVM limited to
 * 256 MB of heap (the target: 200 steps in under 10 s with under 256 MB; 50 steps in under 3 s).
 * Beside each, in the same child: as many plain runs of the whole runbook on the test kit, warm,
 * without faults or checks (what the paths cost before the explorer's own work).
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:exec@all -Dbenchmarks=ExploreScale</pre>
 * (it starts its children with the classpath of the JVM it runs in, so not under {@code exec:java})
 */
public final class ExploreScaleBenchmark {
  private ExploreScaleBenchmark() {}

  static final int[] SIZES = {50, 100, 200};

  /** The system the runbook changes: one value per step, all zero when nothing is applied. */
  static final class World {
    final Map<String, Integer> values = new ConcurrentHashMap<>();

    boolean pristine() {
      return values.values().stream().allMatch(v -> v == 0);
    }
  }

  static Runbook<Void> runbook(int steps, World w) {
    Runbook.Builder<Void> b = Runbook.builder("steps-" + steps)
        .watch("errors", Duration.ofMinutes(5), ctx -> Health.healthy())
        .step("check", s -> s.action(ctx -> "ok").readOnly());
    int compensated = steps - 2;
    for (int i = 1; i <= compensated; i++) {
      String name = "s" + i;
      b.step(name, s -> s.action(ctx -> w.values.merge(name, 1, Integer::sum))
          .compensate((ctx, out) -> w.values.put(name, 0)));
      if (i == 5) {
        b.gate("healthy", g -> g.check(ctx -> GateDecision.pass()));
      } else if (i == compensated * 2 / 5 || i == compensated * 4 / 5) {
        b.bake("bake-" + i, Duration.ofMinutes(30));
      }
    }
    return b.step("clean-up", s -> s.action(ctx -> "done").irreversible()).build();
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 1) {
      child(Integer.parseInt(args[0]));
      return;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int n : SIZES) {
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseG1GC", "-cp",
          System.getProperty("java.class.path"), ExploreScaleBenchmark.class.getName(), String.valueOf(n)));
      // the child prints its rows with Summary's mark; they pass through to whoever gathers them
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      int code = p.waitFor();
      if (code != 0) {
        System.out.println("the exploration of " + n + " steps in a JVM of 256 MB failed (exit " + code + ")");
        Summary.row("Explore", "every failure point of a " + n + "-step runbook, fresh JVM, -Xmx256m", "failed (exit "
            + code + ")", "—", Double.NaN, "completes — not met");
      }
    }
    System.exit(0);
  }

  private static void child(int n) {
    FailureExplorer<Void> explorer = FailureExplorer.of(() -> {
      World w = new World();
      return Subject.of(runbook(n, w), (Void) null).whenRolledBack("every change undone", w::pristine);
    });
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    long t0 = System.nanoTime();
    ExplorationReport report = explorer.explore();
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (!report.holds()) {
      System.out.println(report.headline());
      throw new IllegalStateException("the benchmark's runbook should hold on every path");
    }
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.gc();
    long held = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    int paths = report.paths().size();

    // the floor: as many plain runs of the runbook on a fresh kit each, warm (after the exploration)
    double floor = floorSeconds(n, Math.min(paths, 500)) * paths / Math.min(paths, 500);
    System.out.printf("exploration of a %d-step runbook in a fresh JVM (-Xmx256m): %d paths (%d pruned), %.2f s,"
        + " heap peak %.0f MB (sum of the pools' peaks), %.0f MB in use after a GC with the report held;"
        + " %d plain runs on the kit: %.2f s%n", n, paths, report.pruned(), seconds, peak / 1e6, held / 1e6, paths, floor);
    double target = n == 50 ? 3 : n == 200 ? 10 : Double.NaN;
    Summary.row("Explore", "every failure point of a " + n + "-step runbook (" + paths + " paths, " + report.pruned()
        + " pruned), fresh JVM with -Xmx256m", String.format("%.2f s", seconds),
        String.format("as many plain runs on the kit (warm) %.2f s", floor), seconds / floor,
        Double.isNaN(target) ? "—" : Summary.atMost(seconds, target, String.format("< %.0f s", target)));
    Summary.row("Explore", "the same, heap in use after a GC with the report held", String.format("%.0f MB", held / 1e6),
        "the JVM's limit 256 MB", held / (256e6), n == 200 ? Summary.atMost(held / 1e6, 256, "< 256 MB") : "—");
    System.exit(0);
  }

  private static double floorSeconds(int n, int runs) {
    for (int warm = 0; warm < 2; warm++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < runs; i++) {
        World w = new World();
        try (dev.runbook4j.testing.RunbookTestKit kit = dev.runbook4j.testing.RunbookTestKit.create()) {
          if (!kit.run(runbook(n, w), null).succeeded()) {
            throw new IllegalStateException("the plain run should succeed");
          }
        }
      }
      if (warm == 1) {
        return (System.nanoTime() - t0) / 1e9;
      }
    }
    throw new AssertionError();
  }
}
