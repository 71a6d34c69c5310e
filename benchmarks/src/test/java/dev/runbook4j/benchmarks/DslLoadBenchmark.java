package dev.runbook4j.benchmarks;

import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptRunbook;

/**
 * The warm load time of a 100-step runbook script in-process (the script compiled once, then run
 * and its runbook built), median of 50 loads after 30 warm-up loads, beside the cost of building
 * the same runbook with the Java builders (the floor), and the load of a changed script (compiled
 * again). The cold, whole-process figure comes with the command line's {@code validate}.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java -Dbenchmark.main=dev.runbook4j.benchmarks.DslLoadBenchmark</pre>
 */
public final class DslLoadBenchmark {
  private DslLoadBenchmark() {}

  static String script(int steps) {
    StringBuilder sb = new StringBuilder("runbook('hundred') {\n  parameters { string 'version', required: true }\n");
    for (int i = 0; i < steps; i++) {
      sb.append("  step('s").append(i).append("') {\n")
          .append("    action { ctx -> \"${params.version}-").append(i).append("\" }\n")
          .append("    compensate { ctx, out -> }\n")
          .append("    retry maxAttempts: 3, backoff: '1s'\n")
          .append("  }\n");
    }
    return sb.append("}\n").toString();
  }

  static dev.runbook4j.Runbook<Void> java(int steps) {
    dev.runbook4j.Runbook.Builder<Void> b = dev.runbook4j.Runbook.builder("hundred");
    for (int i = 0; i < steps; i++) {
      int v = i;
      b.step("s" + i, s -> s.action(ctx -> v).compensate((ctx, o) -> {})
          .retry(dev.runbook4j.RetrySpec.builder().maxAttempts(3).backoff(java.time.Duration.ofSeconds(1)).build()));
    }
    return b.build();
  }

  static double medianMillis(Runnable r, int warm, int n) {
    for (int i = 0; i < warm; i++) {
      r.run();
    }
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      r.run();
      t[i] = (System.nanoTime() - t0) / 1e6;
    }
    java.util.Arrays.sort(t);
    return t[n / 2];
  }

  public static void main(String[] args) {
    String source = script(100);
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    // a changed script each time (a comment makes it new): compiled, checked, run, built
    double compiled = medianMillis(() -> check(RunbookScripts.load("hundred.runbook.groovy",
        source + "// " + n.incrementAndGet() + "\n")), 5, 9);
    // the same script again: compiled once, then only run and built
    double warm = medianMillis(() -> check(RunbookScripts.load("hundred.runbook.groovy", source)), 30, 50);
    double builders = medianMillis(() -> java(100), 200, 200);
    System.out.printf("warm load of a 100-step script: %.1f ms (target < 50 ms; %.0fx the same runbook built in Java,"
        + " %.3f ms); a changed script, compiled again: %.0f ms%n", warm, warm / builders, builders, compiled);
    Summary.row("DslLoad", "a 100-step script loaded again in a warm JVM", String.format("%.1f ms", warm),
        String.format("the same runbook built in Java %.3f ms", builders), warm / builders,
        Summary.atMost(warm, 50, "< 50 ms"));
    Summary.row("DslLoad", "a changed 100-step script compiled in a warm JVM", String.format("%.0f ms", compiled),
        String.format("loaded again %.1f ms", warm), compiled / warm, "—");
    // how compiling grows: 10, 100 and 1,000 steps, per step, against building the same runbook in Java; warm
    // means Groovy's compiler is compiled by the JIT: 80 changed 100-step scripts first (its time per
    // script levels off after 60-80 here), then each size warmed again before it is measured
    String hundred = script(100);
    for (int i = 0; i < 80; i++) {
      check(RunbookScripts.load("warm.runbook.groovy", hundred + "// " + n.incrementAndGet() + "\n"));
    }
    for (int steps : new int[] {10, 100, 1000}) {
      String text = script(steps);
      double perStep = medianMillis(() -> check(RunbookScripts.load("grow-" + steps + ".runbook.groovy",
          text + "// " + n.incrementAndGet() + "\n"), steps), steps == 1000 ? 5 : 10, steps == 1000 ? 3 : 9) / steps;
      double javaPerStep = medianMillis(() -> java(steps), 20, 50) / steps;
      System.out.printf("a changed %d-step script compiled in a warm JVM: %.2f ms per step (built in Java: %.4f ms)%n",
          steps, perStep, javaPerStep);
      Summary.row("DslLoad", "a changed " + steps + "-step script compiled in a warm JVM (80 compiled before), per step",
          String.format("%.2f ms", perStep), String.format("the same built in Java %.4f ms", javaPerStep),
          perStep / javaPerStep, Summary.atMost(perStep, 1, "≤ 1 ms per step"));
    }
    System.exit(0);
  }

  private static void check(ScriptRunbook s) {
    check(s, 100);
  }

  private static void check(ScriptRunbook s, int steps) {
    if (s.runbook().nodes().size() != steps) {
      throw new IllegalStateException("not " + steps + " steps");
    }
  }
}
