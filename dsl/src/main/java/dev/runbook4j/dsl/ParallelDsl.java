package dev.runbook4j.dsl;

import dev.runbook4j.Parallel;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keyword inside {@code parallel { }}.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ParallelDsl {
  private final Script script;
  private final Parallel.Branches<ScriptParams> branches;

  ParallelDsl(Script script, Parallel.Branches<ScriptParams> branches) {
    this.script = script;
    this.branches = branches;
  }

  /**
   * {@code failFast false}: when a branch fails, the other branches go on to their end before the
   * failure rolls the run back (as {@code parallel('name', failFast: false)}).
   */
  public void failFast(boolean failFast) {
    branches.failFast(failFast);
  }

  /** {@code branch('name') { nodes }}: runs at the same time as the other branches. */
  public void branch(String name, @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    branches.branch(name, b -> Dsl.configure(body, new BlockDsl(script, b)));
  }

  /** {@code when { params.canary }}: the parallel runs only when this holds (asked when the run reaches it). */
  public void when(Closure<?> condition) {
    when(Map.of(), condition);
  }

  /** {@code when('a canary run') { params.canary }}: {@link #when(Closure)}, described in the plan by its text. */
  public void when(String description, Closure<?> condition) {
    branches.when(description, Dsl.condition(condition, script));
  }

  /** {@code when(text: 'params.canary') { ... }}: the loader's form of {@link #when(Closure)}, with its source. */
  public void when(Map<String, Object> options, Closure<?> condition) {
    branches.when(Dsl.conditionText(options), Dsl.condition(condition, script));
  }
}
