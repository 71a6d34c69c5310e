package dev.runbook4j.benchmarks;

import dev.runbook4j.Health;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How fast a breached watch rolls a run back, on real time: a run of N compensated steps sits in a
 * sleep under a watch checked every 100 ms; its alarm fires, and the benchmark measures (a) the
 * reaction, from the moment the watch's check first returns breached to the first compensation
 * call (target: within one watch interval + 50 ms), and (b) the engine's time per compensation
 * (the compensations themselves do nothing), against its time per forward step in the same run, for
 * N = 10, 100 and 1,000, in memory and on SQLite (an fsync per event).
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java -Dbenchmark.main=dev.runbook4j.benchmarks.RollbackReactionBenchmark</pre>
 */
public final class RollbackReactionBenchmark {
  private static final Duration EVERY = Duration.ofMillis(100);

  private RollbackReactionBenchmark() {}

  record Measured(double reactionMillis, double perCompensationMicros, double perStepMicros) {}

  static Measured once(Journal journal, int n) throws InterruptedException {
    AtomicLong alarmAt = new AtomicLong(Long.MAX_VALUE);
    AtomicLong breachedAt = new AtomicLong();
    AtomicLong firstUndo = new AtomicLong();
    AtomicLong lastUndo = new AtomicLong();
    AtomicLong firstDo = new AtomicLong();
    AtomicLong lastDo = new AtomicLong();
    Runbook.Builder<Void> b = Runbook.builder("reaction").watch("alarm", EVERY, ctx -> {
      long now = System.nanoTime();
      if (now < alarmAt.get()) {
        return Health.healthy();
      }
      breachedAt.compareAndSet(0, now);
      return Health.breached("5xx above 1%");
    });
    for (int i = 0; i < n; i++) {
      b.step("s" + i, s -> s.action(ctx -> {
        long now = System.nanoTime();
        firstDo.compareAndSet(0, now);
        lastDo.set(now);
        return 1;
      }).compensate((ctx, out) -> {
        long now = System.nanoTime();
        firstUndo.compareAndSet(0, now);
        lastUndo.set(now);
      }));
    }
    Runbook<Void> rb = b.sleep("hold", Duration.ofMinutes(10)).build();
    CountDownLatch holding = new CountDownLatch(1);
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).build()) {
      engine.onEvent(e -> {
        if (e instanceof RunEvent.WaitStarted) {
          holding.countDown();
        }
      });
      RunHandle h = engine.start(rb, null, RunOptions.defaults());
      if (!holding.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the run never reached its sleep");
      }
      alarmAt.set(System.nanoTime() + EVERY.toNanos() / 3);  // the alarm fires between two checks
      RunResult r = h.result().get(5, TimeUnit.MINUTES);
      if (r.state() != RunState.ROLLED_BACK || r.compensated().size() != n) {
        throw new IllegalStateException("expected a rollback of " + n + " steps, got " + r.state() + " " + r.compensated());
      }
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
    return new Measured((firstUndo.get() - breachedAt.get()) / 1e6,
        n == 1 ? 0 : (lastUndo.get() - firstUndo.get()) / 1e3 / (n - 1),
        n == 1 ? 0 : (lastDo.get() - firstDo.get()) / 1e3 / (n - 1));
  }

  static Measured median(String kind, int n, Path dir) throws Exception {
    Measured[] all = new Measured[5];
    for (int i = 0; i < all.length; i++) {
      Journal j = kind.equals("memory") ? new InMemoryJournal() : JdbcJournal.sqlite(dir.resolve(n + "-" + i + ".db"));
      try {
        all[i] = once(j, n);
      } finally {
        if (j instanceof AutoCloseable c) {
          c.close();
        }
      }
    }
    double[] reaction = Arrays.stream(all).mapToDouble(Measured::reactionMillis).sorted().toArray();
    double[] comp = Arrays.stream(all).mapToDouble(Measured::perCompensationMicros).sorted().toArray();
    double[] step = Arrays.stream(all).mapToDouble(Measured::perStepMicros).sorted().toArray();
    return new Measured(reaction[2], comp[2], step[2]);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("rb4j-reaction");
    once(new InMemoryJournal(), 50);  // warm up
    System.out.printf(Locale.ROOT, "%-8s %6s %14s %20s %18s%n", "journal", "N", "reaction (ms)",
        "engine/comp (µs)", "engine/step (µs)");
    for (String kind : new String[] {"memory", "sqlite"}) {
      for (int n : new int[] {10, 100, 1000}) {
        Measured m = median(kind, n, dir);
        System.out.printf(Locale.ROOT, "%-8s %6d %14.2f %20.1f %18.1f%n", kind, n, m.reactionMillis(),
            m.perCompensationMicros(), m.perStepMicros());
        if (n == 1000 || n == 10) {
          double limit = EVERY.toMillis() + 50;
          Summary.row("RollbackReaction", "watch breach → first compensation, " + kind + ", N=" + n,
              String.format(Locale.ROOT, "%.2f ms", m.reactionMillis()), "watch interval " + EVERY.toMillis()
              + " ms", m.reactionMillis() / EVERY.toMillis(), Summary.atMost(m.reactionMillis(), limit,
              "≤ interval + 50 ms"));
          Summary.row("RollbackReaction", "engine time per compensation, " + kind + ", N=" + n,
              String.format(Locale.ROOT, "%.1f µs", m.perCompensationMicros()), String.format(Locale.ROOT,
              "engine time per forward step %.1f µs", m.perStepMicros()), m.perCompensationMicros()
              / Math.max(0.001, m.perStepMicros()), Summary.atMost(m.perCompensationMicros(), 1000, "< 1 ms"));
        }
      }
    }
  }
}
