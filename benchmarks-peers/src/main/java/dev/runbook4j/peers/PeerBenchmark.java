package dev.runbook4j.peers;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The same saga on Runbook4j and on the engines a user would pick instead, measured in one run and
 * printed as ratios (Runbook4j ÷ peer): a 20-step saga to success (cost per step), the same saga
 * failing at step 15 (cost per run, and whether the compensations ran in reverse order), in memory
 * and durable.
 *
 * <pre>./mvnw -q -Ppeers install -DskipTests && ./mvnw -q -Ppeers -pl benchmarks-peers exec:exec@peers</pre>
 */
public final class PeerBenchmark {
  static final int STEPS = 20;
  static final int FAIL_AT = 15;

  private PeerBenchmark() {}

  record Row(String peer, double successUsPerStep, double failUsPerRun, int runs, int wrongOrder, String order) {}

  public static void main(String[] args) throws Exception {
    Path tmp = Files.createTempDirectory("peers");
    List<Row> memory = new ArrayList<>();
    memory.add(measure(new Runbook4jPeer("Runbook4j (in-memory journal)", new InMemoryJournal()), 3000, 2000));
    memory.add(measure(new CamundaPeer("Camunda 7.24 (H2 in memory)", "jdbc:h2:mem:camunda;DB_CLOSE_DELAY=-1"),
        300, 200));
    // the same, each step taking 2 ms, so no two steps end in the same millisecond
    memory.add(measure(new CamundaPeer("Camunda 7.24 (H2 in memory), steps of 2 ms", "jdbc:h2:mem:camunda2;DB_CLOSE_DELAY=-1",
        false, 2), 20, 20));
    memory.add(measure(new TemporalPeer("Temporal 1.38 test env, local activities", true), 200, 100));
    memory.add(measure(new TemporalPeer("Temporal 1.38 test env, activities", false), 100, 50));
    List<Row> durable = new ArrayList<>();
    // first the row at Camunda's durability level (no fsync per commit): the ratios compare with it
    durable.add(measure(new Runbook4jPeer("Runbook4j SQLite, synchronous=NORMAL (no fsync per commit)",
        JdbcJournal.builder("jdbc:sqlite:" + tmp.resolve("normal.db")).property("synchronous", "NORMAL").build()),
        100, 100));
    durable.add(measure(new Runbook4jPeer("Runbook4j SQLite, fsync per commit (the default)",
        JdbcJournal.sqlite(tmp.resolve("full.db"))), 30, 30));
    durable.add(measure(new CamundaPeer("Camunda 7.24 (H2 file, one transaction per step: asyncBefore on each task,"
        + " job executor)", "jdbc:h2:file:" + tmp.resolve("camunda-steps") + ";DB_CLOSE_DELAY=-1", true, true, 0), 300,
        100));
    durable.add(measure(new CamundaPeer("Camunda 7.24 (H2 file, one transaction per step, jobs run one by one by the"
        + " caller)", "jdbc:h2:file:" + tmp.resolve("camunda-by-hand") + ";DB_CLOSE_DELAY=-1", true, false, 0), 300,
        100));
    durable.add(measure(new CamundaPeer("Camunda 7.24 (H2 file, one transaction per run)",
        "jdbc:h2:file:" + tmp.resolve("camunda") + ";DB_CLOSE_DELAY=-1"), 100, 100));

    System.out.println("Peer benchmark, " + java.time.LocalDate.now() + ", " + Runtime.getRuntime().availableProcessors()
        + " cores, JDK " + System.getProperty("java.version") + ", JVM flags "
        + ManagementFactory.getRuntimeMXBean().getInputArguments());
    System.out.println("A saga of " + STEPS + " steps, each with an undo; the failing variant fails at step " + FAIL_AT
        + ". Medians after warm-up, one JVM, engines measured one after the other.");
    print("In memory", memory);
    print("Durable", durable);

    // each engine's waiting runs, measured alone (the others closed); threads include the JVM's own
    List<WaitingRuns.Result> waiting = new ArrayList<>();
    // more runs where a run costs little, so the measurement's noise over the runs stays small
    waiting.add(WaitingRuns.runbook4j(tmp, 50_000));
    waiting.add(WaitingRuns.camunda(tmp, 10_000));
    waiting.add(WaitingRuns.temporal(500));
    WaitingRuns.Result base = waiting.get(0);
    System.out.println();
    System.out.println("| Runs waiting on a one-hour timer | runs | heap per waiting run | resolution (noise ÷ runs)"
        + " | waiting runs per GiB | ratio (runs per GiB, Runbook4j ÷ peer) | live threads |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (WaitingRuns.Result r : waiting) {
      // a figure within the noise is shown as a bound: the runs cost less than the measurement can see
      String atLeast = base.belowResolution() ? "≥ " : "";
      System.out.printf("| %s | %d | %.0f B%s | %.0f B | %s%,.0f | %s | %d |%n", r.engine(), r.runs(), r.bytesPerRun(),
          r.belowResolution() ? " (within the noise)" : "", r.resolution(), r.belowResolution() ? "≥ " : "",
          r.runsPerGiB(), r == base ? "1" : atLeast + String.format("%.1f", base.runsPerGiB() / r.runsPerGiB()),
          r.threads());
    }
    System.exit(0);
  }

  static Row measure(Peer peer, int warm, int runs) throws Exception {
    try (peer) {
      for (int i = 0; i < warm; i++) {
        peer.saga(STEPS, 0);
        peer.saga(STEPS, FAIL_AT);
      }
      double[] ok = new double[runs];
      double[] fail = new double[runs];
      int wrong = 0;
      List<Integer> order = List.of();
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        peer.saga(STEPS, 0);
        long t1 = System.nanoTime();
        order = peer.saga(STEPS, FAIL_AT);
        long t2 = System.nanoTime();
        ok[i] = (t1 - t0) / 1e3 / STEPS;
        fail[i] = (t2 - t1) / 1e3;
        if (!reverse(order)) {
          wrong++;
        }
      }
      return new Row(peer.name(), median(ok), median(fail), runs, wrong, order.toString());
    }
  }

  /** Whether {@code undone} is a descending run ending at 1 (14..1, or 15..1 when the failed step is undone too). */
  static boolean reverse(List<Integer> undone) {
    if (undone.isEmpty() || undone.get(undone.size() - 1) != 1) {
      return false;
    }
    for (int i = 1; i < undone.size(); i++) {
      if (undone.get(i) != undone.get(i - 1) - 1) {
        return false;
      }
    }
    return undone.get(0) == FAIL_AT || undone.get(0) == FAIL_AT - 1;
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  static void print(String title, List<Row> rows) {
    Row base = rows.get(0);
    System.out.println();
    System.out.println("| " + title + " | µs per step (success) | ratio | µs per failing run | ratio | runs with"
        + " compensations out of reverse order | last order seen |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (Row r : rows) {
      System.out.printf("| %s | %.1f | %s | %.0f | %s | %d of %d | %s |%n", r.peer(), r.successUsPerStep(),
          r == base ? "1" : String.format("%.3f", base.successUsPerStep() / r.successUsPerStep()), r.failUsPerRun(),
          r == base ? "1" : String.format("%.3f", base.failUsPerRun() / r.failUsPerRun()), r.wrongOrder(), r.runs(),
          r.order());
    }
  }
}
