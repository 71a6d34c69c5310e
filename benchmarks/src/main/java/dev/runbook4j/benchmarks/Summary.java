package dev.runbook4j.benchmarks;

import java.util.Locale;

/**
 * One row of the table {@code AllBenchmarks} gathers from every benchmark it runs: each benchmark
 * prints its own account, then its headline figures through {@link #row}, as a line starting with
 * {@value #MARK} that the gathering program picks out of the child's output.
 */
public final class Summary {
  /** Marks a row in a benchmark's output. */
  public static final String MARK = "@@row";

  private Summary() {}

  /**
   * Prints one row.
   *
   * @param benchmark which benchmark
   * @param measure what was measured, in words
   * @param value the figure, with its unit
   * @param baseline what it is compared with, measured in the same run, with its figure
   * @param ratio value ÷ baseline
   * @param target what the issue asked for, and whether it is met
   */
  public static void row(String benchmark, String measure, String value, String baseline, double ratio,
      String target) {
    System.out.println(String.join("\t", MARK, benchmark, measure, value, baseline,
        String.format(Locale.ROOT, "%.2f", ratio), target));
  }

  /** "met" or "not met" for a figure that must be at most {@code limit}. */
  public static String atMost(double value, double limit, String target) {
    return target + (value <= limit ? " — met" : " — not met");
  }

  /** "met" or "not met" for a figure that must be at least {@code limit}. */
  public static String atLeast(double value, double limit, String target) {
    return target + (value >= limit ? " — met" : " — not met");
  }
}
