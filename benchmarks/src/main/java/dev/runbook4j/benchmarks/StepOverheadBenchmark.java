package dev.runbook4j.benchmarks;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The engine's cost per step: a 20-step no-op runbook with compensations, in memory, against the
 * floor of calling the same 20 lambdas in a plain loop through a Resilience4j {@code Retry} and
 * through a Failsafe {@code RetryPolicy}. Each benchmark op is one whole runbook (20 steps).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class StepOverheadBenchmark {
  public static final int STEPS = 20;

  private RunbookEngine engine;
  private Runbook<Void> runbook;
  private Runbook<Void> oneStep;
  private List<Supplier<Object>> actions;
  private Retry retry;
  private FailsafeExecutor<Object> failsafe;

  @Setup
  public void setUp() {
    actions = new ArrayList<>();
    Runbook.Builder<Void> b = Runbook.builder("noop-20");
    for (int i = 0; i < STEPS; i++) {
      Integer value = i;
      Supplier<Object> action = () -> value;
      actions.add(action);
      b.step("step-" + i, s -> s.action(ctx -> action.get()).compensate((ctx, out) -> {}));
    }
    runbook = b.build();
    oneStep = Runbook.builder("noop-1").step("only", s -> s.action(ctx -> 1).compensate((ctx, out) -> {})).build();
    engine = RunbookEngine.builder().journal(InMemoryJournal.withRetention(16)).build();
    retry = Retry.of("floor", RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(10)).build());
    failsafe = Failsafe.with(RetryPolicy.builder().withMaxAttempts(3).withDelay(Duration.ofMillis(10)).build());
    RunResult check = engine.run(runbook, null);
    if (check.state() != RunState.SUCCEEDED || check.outputs().size() != STEPS) {
      throw new IllegalStateException("benchmark runbook did not succeed: " + check);
    }
  }

  @TearDown
  public void tearDown() {
    engine.close();
  }

  @Benchmark
  public RunResult runbook4jRun() {
    return engine.run(runbook, null);
  }

  /** The same engine on a 1-step runbook: with {@link #runbook4jRun}, separates per-run from per-step cost. */
  @Benchmark
  public RunResult runbook4jRunOneStep() {
    return engine.run(oneStep, null);
  }

  @Benchmark
  public void resilience4jRetryLoop(Blackhole bh) {
    for (Supplier<Object> a : actions) {
      bh.consume(retry.executeSupplier(a));
    }
  }

  @Benchmark
  public void failsafeRetryLoop(Blackhole bh) {
    for (Supplier<Object> a : actions) {
      bh.consume(failsafe.get(a::get));
    }
  }
}
