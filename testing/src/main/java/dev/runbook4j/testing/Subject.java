package dev.runbook4j.testing;

import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.apiguardian.api.API;

/**
 * What a {@link FailureExplorer} explores: a runbook, its parameters, and the invariants that
 * must hold after every failure path, built fresh for each path (with a fresh fake of the system
 * the runbook changes) by the supplier the explorer is given.
 *
 * <pre>{@code
 * FailureExplorer.of(() -> {
 *   FakeAlias alias = new FakeAlias("v1");
 *   return Subject.of(Release.runbook(alias), params)
 *       .whenRolledBack("the alias points at v1 again", () -> alias.target().equals("v1"))
 *       .whenSucceeded("the alias points at v2", () -> alias.target().equals("v2"));
 * });
 * }</pre>
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class Subject<P> {
  record Check(String description, RunState when, Invariant check) {}

  private final Runbook<P> runbook;
  private final P params;
  private final List<Check> checks = new ArrayList<>();
  private final Map<String, List<String>> approvers = new LinkedHashMap<>();
  private boolean oneAtATime;

  private Subject(Runbook<P> runbook, P params) {
    this.runbook = Objects.requireNonNull(runbook, "runbook");
    this.params = params;
  }

  public static <P> Subject<P> of(Runbook<P> runbook, P params) {
    return new Subject<>(runbook, params);
  }

  /** An invariant checked after every path, whatever its end. */
  public Subject<P> invariant(String description, Invariant check) {
    checks.add(new Check(Objects.requireNonNull(description, "description"), null, Objects.requireNonNull(check)));
    return this;
  }

  /** A condition that must hold after every path that rolled back (the system is back where it was). */
  public Subject<P> whenRolledBack(String description, BooleanSupplier holds) {
    return when(RunState.ROLLED_BACK, description, holds);
  }

  /** A condition that must hold after every path that succeeded (a failure the run rode out). */
  public Subject<P> whenSucceeded(String description, BooleanSupplier holds) {
    return when(RunState.SUCCEEDED, description, holds);
  }

  private Subject<P> when(RunState state, String description, BooleanSupplier holds) {
    Objects.requireNonNull(holds, "holds");
    checks.add(new Check(Objects.requireNonNull(description, "description"), state, run -> {
      if (!holds.getAsBoolean()) {
        throw new AssertionError("it does not");
      }
    }));
    return this;
  }

  /**
   * Who approves approval gate {@code gate} on every path (default: the first of the gate's named
   * approvers, as many as it needs).
   */
  public Subject<P> approveAs(String gate, String... users) {
    if (users.length == 0) {
      throw new IllegalArgumentException("approveAs('" + gate + "') names no user");
    }
    approvers.put(Objects.requireNonNull(gate, "gate"), List.of(users));
    return this;
  }

  /**
   * Says that the paths share one real environment (a test directory, a test account) which this
   * subject's creation puts back: an explorer then runs them one at a time unless told a
   * {@link FailureExplorer#parallelism parallelism} (a script's subject says so: its actions run for
   * real, and its {@code testReset} runs as the subject is made).
   */
  public Subject<P> oneAtATime() {
    this.oneAtATime = true;
    return this;
  }

  /** Whether the paths must run one at a time (see {@link #oneAtATime()}). */
  public boolean isOneAtATime() {
    return oneAtATime;
  }

  public Runbook<P> runbook() {
    return runbook;
  }

  public P params() {
    return params;
  }

  List<Check> checks() {
    return checks;
  }

  Map<String, List<String>> approvers() {
    return approvers;
  }
}
