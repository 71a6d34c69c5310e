package dev.runbook4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every internal benchmark, one after the other, each in a fresh JVM with the same stated flags
 * (this program's own), their accounts printed as they run and their headline rows gathered into one
 * table at the end (also written to {@code target/all-benchmarks.md}). Each row compares a figure
 * with a baseline measured in the same child run: the machine is shared, only ratios travel.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:exec@all [-Dbenchmarks=Durable,Explore]</pre>
 */
public final class AllBenchmarks {
  private AllBenchmarks() {}

  /** The benchmarks, in the order they run: the JMH one first (it forks its own JVM). */
  static final List<String> MAINS = List.of(
      "dev.runbook4j.benchmarks.BenchmarkMain",
      "dev.runbook4j.benchmarks.DurableBenchmark",
      "dev.runbook4j.benchmarks.WaitingRunsBenchmark",
      "dev.runbook4j.benchmarks.DslLoadBenchmark",
      "dev.runbook4j.benchmarks.ColdValidateBenchmark",
      "dev.runbook4j.benchmarks.ListingsBenchmark",
      "dev.runbook4j.benchmarks.ExploreBenchmark",
      "dev.runbook4j.benchmarks.ExploreScaleBenchmark",
      "dev.runbook4j.benchmarks.RollbackReactionBenchmark",
      "dev.runbook4j.benchmarks.BlockingStepsBenchmark");

  public static void main(String[] args) throws Exception {
    String only = System.getProperty("benchmarks", "");
    List<String> flags = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(f -> !f.startsWith("-Dbenchmarks=")).toList();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("java.class.path");
    Instant started = Instant.now();
    List<String[]> rows = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (String main : MAINS) {
      String simple = main.substring(main.lastIndexOf('.') + 1);
      if (!only.isEmpty() && List.of(only.split(",")).stream().noneMatch(simple::startsWith)) {
        continue;
      }
      System.out.printf("%n=== %s (fresh JVM: %s) ===%n", simple, String.join(" ", flags));
      List<String> cmd = new ArrayList<>(List.of(java));
      cmd.addAll(flags);
      cmd.addAll(List.of("-cp", classpath, main));
      long t0 = System.nanoTime();
      int code = run(cmd, rows);
      System.out.printf("=== %s: exit %d after %d s ===%n", simple, code, (System.nanoTime() - t0) / 1_000_000_000L);
      if (code != 0) {
        failed.add(simple + " (exit " + code + ")");
      }
    }
    String table = table(rows, flags, started, failed);
    System.out.println();
    System.out.println(table);
    Path out = Path.of("target", "all-benchmarks.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table);
    System.out.println("(also in " + out.toAbsolutePath() + ")");
    System.exit(failed.isEmpty() ? 0 : 1);
  }

  /** Runs one child, echoing its output and keeping its rows. */
  static int run(List<String> cmd, List<String[]> rows) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(Summary.MARK + "\t")) {
          rows.add(line.substring(Summary.MARK.length() + 1).split("\t", -1));
        } else {
          System.out.println("  " + line);
        }
      }
    } catch (UncheckedIOException e) {
      p.destroyForcibly();
      throw e;
    }
    return p.waitFor();
  }

  static String table(List<String[]> rows, List<String> flags, Instant started, List<String> failed) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "Internal benchmarks, run of %s (%d min), %d cores, JDK %s, each in a fresh"
        + " JVM with flags %s%n%n", started, Duration.between(started, Instant.now()).toMinutes(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), flags));
    b.append("| benchmark | measure | figure | baseline (same run) | ratio | target |\n");
    b.append("|---|---|---|---|---|---|\n");
    for (String[] r : rows) {
      b.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    if (!failed.isEmpty()) {
      b.append("\nFailed: ").append(String.join(", ", failed)).append('\n');
    }
    return b.toString();
  }
}
