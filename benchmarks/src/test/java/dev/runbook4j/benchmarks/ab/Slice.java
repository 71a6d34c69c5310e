package dev.runbook4j.benchmarks.ab;

import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;

/**
 * One side of an {@link AbComparison}: the StepOverhead runbook (no-op steps with compensations, in
 * memory) on the engine of whichever build of core loaded this class.
 */
public final class Slice {
  private static RunbookEngine engine;
  private static Runbook<Void> runbook;

  private Slice() {}

  /** Builds the runbook of {@code steps} steps and the engine. */
  public static void init(int steps) {
    Runbook.Builder<Void> b = Runbook.builder("noop-" + steps);
    for (int i = 0; i < steps; i++) {
      Integer v = i;
      b.step("step-" + i, s -> s.action(ctx -> v).compensate((ctx, out) -> { }));
    }
    runbook = b.build();
    engine = RunbookEngine.builder().journal(InMemoryJournal.withRetention(16)).build();
  }

  /** Runs the runbook {@code n} times. */
  public static void run(int n) {
    for (int i = 0; i < n; i++) {
      engine.run(runbook, null);
    }
  }
}
