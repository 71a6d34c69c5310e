package dev.runbook4j.dsl;

import dev.runbook4j.Nodes;
import groovy.lang.Script;
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
}
