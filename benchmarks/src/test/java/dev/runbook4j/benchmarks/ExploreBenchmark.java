package dev.runbook4j.benchmarks;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.FailurePoint;
import dev.runbook4j.testing.Subject;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failure-point exploration of a 50-step runbook (47 compensated steps, a read-only check, an
 * irreversible clean-up, a health gate, two bakes under a watch): every failure point found and
 * run, with its checks (target: under 3 s on this machine), first in a fresh JVM and then warm.
 * Beside it, in the same run, the floor: as many plain runs of the whole runbook on virtual time,
 * without the kit, faults or checks, run the same way (the engine's own cost), so the figure reads
 * as a ratio.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java -Dbenchmark.main=dev.runbook4j.benchmarks.ExploreBenchmark</pre>
 */
public final class ExploreBenchmark {
  private ExploreBenchmark() {}

  /** The system the runbook changes: one value per step, all zero when nothing is applied. */
  static final class World {
    final Map<String, Integer> values = new ConcurrentHashMap<>();

    boolean pristine() {
      return values.values().stream().allMatch(v -> v == 0);
    }
  }

  static Runbook<Void> runbook(World w) {
    Runbook.Builder<Void> b = Runbook.builder("fifty")
        .watch("errors", Duration.ofMinutes(5), ctx -> Health.healthy())
        .step("check", s -> s.action(ctx -> "ok").readOnly());
    for (int i = 1; i <= 47; i++) {
      String name = "s" + i;
      b.step(name, s -> s.action(ctx -> w.values.merge(name, 1, Integer::sum))
          .compensate((ctx, out) -> w.values.put(name, 0)));
      if (i == 5) {
        b.gate("healthy", g -> g.check(ctx -> GateDecision.pass()));
      } else if (i == 20 || i == 40) {
        b.bake("bake-" + i, Duration.ofMinutes(30));
      }
    }
    return b.step("clean-up", s -> s.action(ctx -> "done").irreversible()).build();
  }

  public static void main(String[] args) {
    FailureExplorer<Void> explorer = FailureExplorer.of(() -> {
      World w = new World();
      return Subject.of(runbook(w), (Void) null).whenRolledBack("every change undone", w::pristine);
    });
    long t0 = System.nanoTime();
    ExplorationReport first = explorer.explore();
    double firstSeconds = (System.nanoTime() - t0) / 1e9;
    if (!first.holds()) {
      System.out.println(first.toText());
      throw new IllegalStateException("the benchmark's runbook should hold on every path");
    }
    double[] warm = fiveExplorations(explorer);
    int paths = first.paths().size();
    Map<FailurePoint.Kind, Integer> kinds = new EnumMap<>(FailurePoint.Kind.class);
    first.paths().forEach(p -> kinds.merge(p.point().kind(), 1, Integer::sum));

    // the floor: as many plain runs without fault of the whole runbook, the way the explorer runs its
    // paths (two at a time, an engine each, a shared pool), with no kit, no faults and no checks
    floor(paths);
    long f0 = System.nanoTime();
    floor(paths);
    double floorSeconds = (System.nanoTime() - f0) / 1e9;

    System.out.printf("exploration of a 50-step runbook: %d failure paths %s%n", paths, kinds);
    System.out.printf("  first exploration in this JVM: %.2f s (target < 3 s); warm median of 5: %.2f s"
        + " (%.0f µs per path)%n", firstSeconds, warm[2], warm[2] * 1e6 / paths);
    System.out.printf("  floor: %d plain runs of the whole runbook (no kit, fault or check), run the same way: %.2f s;"
        + " the exploration is %.2fx the floor%n", paths, floorSeconds, warm[2] / floorSeconds);
    Summary.row("Explore", "every failure point of a 50-step runbook (" + paths + " paths), warm",
        String.format("%.2f s", warm[2]), String.format("as many plain runs %.2f s", floorSeconds),
        warm[2] / floorSeconds, Summary.atMost(warm[2], 3, "< 3 s"));
    Summary.row("Explore", "the same, first exploration in a fresh JVM", String.format("%.2f s", firstSeconds),
        String.format("as many plain runs (warm) %.2f s", floorSeconds), firstSeconds / floorSeconds,
        Summary.atMost(firstSeconds, 3, "< 3 s"));
    double canary = canaryMillis(true);
    double noBakes = canaryMillis(false);
    System.out.printf("  a three-wave canary with 12 h of bakes under a watch checked every 5 min, on the kit: %.1f ms"
        + " (the same without bakes: %.1f ms)%n", canary, noBakes);
    Summary.row("Explore", "a three-wave canary with 12 h of bakes (a watch every 5 min) on the test kit",
        String.format("%.1f ms", canary), String.format("the same without bakes %.1f ms", noBakes), canary / noBakes,
        "—");

    // a gate re-checked every minute for 16 h (960 checks a path): explored by the distinct outcomes
    // of its re-checks, against as many plain runs of it on the kit
    FailureExplorer<Void> gate = FailureExplorer.of(() -> rechecking(16 * 60));
    ExplorationReport gateReport = gate.explore();
    if (!gateReport.holds()) {
      throw new IllegalStateException("the re-checked gate should hold on every path");
    }
    double[] gateWarm = fiveExplorations(gate);
    int gatePaths = gateReport.paths().size();
    double gateFloor = rechecksFloor(gatePaths);
    System.out.printf("  a gate re-checked every minute for 16 h: %d paths (%d pruned), warm median of 5 %.2f s"
        + " (target < 1 s); %d plain runs of it on the kit %.2f s%n", gatePaths, gateReport.pruned(), gateWarm[2],
        gatePaths, gateFloor);
    Summary.row("Explore", "a gate re-checked every minute for 16 h (" + gatePaths + " paths, " + gateReport.pruned()
        + " pruned), warm", String.format("%.2f s", gateWarm[2]),
        String.format("as many plain runs of it on the kit %.2f s", gateFloor), gateWarm[2] / gateFloor,
        Summary.atMost(gateWarm[2], 1, "< 1 s"));
    System.exit(0);
  }

  /** The seconds of five explorations by {@code explorer}, sorted (the median is the third). */
  private static double[] fiveExplorations(FailureExplorer<Void> explorer) {
    double[] seconds = new double[5];
    for (int i = 0; i < seconds.length; i++) {
      long s = System.nanoTime();
      explorer.explore();
      seconds[i] = (System.nanoTime() - s) / 1e9;
    }
    java.util.Arrays.sort(seconds);
    return seconds;
  }

  /** A gate re-checked every minute until its {@code checks}-th check passes, between two steps. */
  static Subject<Void> rechecking(int checks) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return Subject.of(Runbook.builder("rechecks")
        .step("deploy", s -> s.action(ctx -> "v2").compensate((ctx, o) -> { }))
        .gate("healthy", g -> g.check(ctx -> n.incrementAndGet() >= checks ? GateDecision.pass()
            : GateDecision.recheck("not yet")).every(Duration.ofMinutes(1)).timeout(Duration.ofDays(1)))
        .step("after", s -> s.action(ctx -> "done").compensate((ctx, o) -> { }))
        .build(), (Void) null);
  }

  /** Wall time of {@code runs} plain runs of the re-checked gate, a fresh kit each (warmed first). */
  private static double rechecksFloor(int runs) {
    double seconds = 0;
    for (int round = 0; round < 2; round++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < runs; i++) {
        Subject<Void> s = rechecking(16 * 60);
        try (dev.runbook4j.testing.RunbookTestKit kit = dev.runbook4j.testing.RunbookTestKit.create()) {
          if (!kit.run(s.runbook(), null).succeeded()) {
            throw new IllegalStateException("the re-checked gate should pass after 16 virtual hours");
          }
        }
      }
      seconds = (System.nanoTime() - t0) / 1e9;
    }
    return seconds;
  }

  /** Wall time of one run of a three-wave canary with 4 h bakes (or none) under a watch, on a fresh kit. */
  private static double canaryMillis(boolean bakes) {
    double[] t = new double[50];
    for (int i = -20; i < t.length; i++) {
      World w = new World();
      Runbook.Builder<Void> b = Runbook.builder("canary")
          .watch("errors", Duration.ofMinutes(5), ctx -> Health.healthy());
      for (int p : new int[] {10, 50, 100}) {
        b.step("shift-" + p, s -> s.action(ctx -> w.values.put("weight", p)).compensate((ctx, o) -> { }));
        if (bakes) {
          b.bake("bake-" + p, Duration.ofHours(4));
        }
      }
      Runbook<Void> rb = b.build();
      long t0 = System.nanoTime();
      try (dev.runbook4j.testing.RunbookTestKit kit = dev.runbook4j.testing.RunbookTestKit.create()) {
        if (!kit.run(rb, null).succeeded() || (bakes && kit.now().isBefore(Instant.parse("2026-01-05T21:00:00Z")))) {
          throw new IllegalStateException("the canary should succeed after 12 virtual hours");
        }
      }
      if (i >= 0) {
        t[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    java.util.Arrays.sort(t);
    return t[t.length / 2];
  }

  /** As many plain runs as paths, the way the explorer runs paths: two at a time, one engine each, one shared pool. */
  private static void floor(int runs) {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
    java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
    for (int i = 0; i < runs; i++) {
      done.add(two.submit(() -> {
        try (RunbookEngine e = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(new InMemoryJournal())
            .workers(pool).noParking().build()) {
          if (e.run(runbook(new World()), null).state() != RunState.SUCCEEDED) {
            throw new IllegalStateException("floor run failed");
          }
        }
      }));
    }
    try {
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      two.shutdown();
      pool.shutdown();
    }
  }
}
