package dev.runbook4j.dsl;

import dev.runbook4j.Nodes;
import groovy.lang.Closure;
import groovy.lang.Script;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keywords of a group, a parallel branch or a forEach body.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class BlockDsl extends NodesDsl {
  private final Nodes.Block<ScriptParams> block;

  BlockDsl(Script script, Nodes.Block<ScriptParams> block) {
    super(script, block);
    this.block = block;
  }

  /** A line shown in the plan. */
  public void description(String text) {
    block.description(text);
  }

  /** {@code when { params.canary }}: the group, branch or forEach runs only when this holds (asked when the run reaches it). */
  public void when(Closure<?> condition) {
    when(Map.of(), condition);
  }

  /** {@code when('a canary run') { params.canary }}: {@link #when(Closure)}, described in the plan by its text. */
  public void when(String description, Closure<?> condition) {
    block.when(description, Dsl.condition(condition, script));
  }

  /** {@code when(text: 'params.canary') { ... }}: the loader's form of {@link #when(Closure)}, with its source. */
  public void when(Map<String, Object> options, Closure<?> condition) {
    block.when(Dsl.conditionText(options), Dsl.condition(condition, script));
  }
}
