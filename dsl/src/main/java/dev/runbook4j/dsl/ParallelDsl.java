package dev.runbook4j.dsl;

import dev.runbook4j.Parallel;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
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

  /** {@code branch('name') { nodes }}: runs at the same time as the other branches. */
  public void branch(String name, @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    branches.branch(name, b -> Dsl.configure(body, new BlockDsl(script, b)));
  }
}
