package dev.runbook4j.benchmarks;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the benchmarks and prints each result per step and as a ratio to the cheaper floor
 * measured in the same run (this machine is shared and noisy: only ratios mean anything).
 * Arguments are passed to JMH as an include pattern (default: every benchmark).
 */
public final class BenchmarkMain {
  private BenchmarkMain() {}

  public static void main(String[] args) throws RunnerException {
    OptionsBuilder ob = new OptionsBuilder();
    ob.include(args.length > 0 ? args[0] : StepOverheadBenchmark.class.getSimpleName());
    Options options = ob.build();
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Double> perStep = new LinkedHashMap<>();
    Map<String, Double> error = new LinkedHashMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      perStep.put(name, r.getPrimaryResult().getScore() / StepOverheadBenchmark.STEPS);
      error.put(name, r.getPrimaryResult().getScoreError() / StepOverheadBenchmark.STEPS);
    }
    Double r4j = perStep.get("resilience4jRetryLoop");
    Double fs = perStep.get("failsafeRetryLoop");
    Double ours = perStep.get("runbook4jRun");
    System.out.println();
    System.out.println("Cost per step (ns), 20-step no-op runbook with compensations, in memory");
    Double one = perStep.remove("runbook4jRunOneStep");
    error.remove("runbook4jRunOneStep");
    perStep.forEach((k, v) -> System.out.printf("  %-24s %10.1f ns/step  (± %.1f)%n", k, v, error.get(k)));
    if (r4j != null && fs != null && ours != null) {
      double floor = Math.min(r4j, fs);
      System.out.printf("  runbook4j / resilience4j Retry loop = %.1fx%n", ours / r4j);
      System.out.printf("  runbook4j / failsafe RetryPolicy loop = %.1fx%n", ours / fs);
      System.out.printf("  runbook4j / cheaper floor = %.1fx (target: at most 10x)%n", ours / floor);
      Summary.row("StepOverhead (JMH)", "a 20-step run in memory, per step", String.format("%.0f ns", ours),
          String.format("the cheaper loop (%s) %.0f ns", r4j <= fs ? "Resilience4j Retry" : "Failsafe RetryPolicy",
              floor), ours / floor, Summary.atMost(ours / floor, 10, "≤ 10× the cheaper loop"));
      Summary.row("StepOverhead (JMH)", "a 20-step run in memory, per step", String.format("%.0f ns", ours),
          String.format("the other loop (%s) %.0f ns", r4j <= fs ? "Failsafe RetryPolicy" : "Resilience4j Retry",
              Math.max(r4j, fs)), ours / Math.max(r4j, fs), "—");
      if (one != null) {
        // one is the whole 1-step run divided by STEPS; undo that to get the run's cost
        double oneRun = one * StepOverheadBenchmark.STEPS;
        double marginal = (ours * StepOverheadBenchmark.STEPS - oneRun) / (StepOverheadBenchmark.STEPS - 1);
        double fixed = oneRun - marginal;
        System.out.printf("  split: %.0f ns per run (plan, journal start/end, result) + %.0f ns per further step"
            + " = %.1fx the floor per step%n", fixed, marginal, marginal / floor);
      }
    }
  }
}
