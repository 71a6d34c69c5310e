package dev.runbook4j;

import java.util.Optional;
import org.apiguardian.api.API;

/**
 * One node of a runbook's tree: a {@link Step}, {@link Gate}, {@link Wait}, {@link Group},
 * {@link Parallel} or {@link ForEach}. Nodes are immutable values made by the builders of
 * {@link Runbook}; their names are unique within a runbook and their ids are their path of names.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public sealed interface Node permits Step, Gate, Wait, Group, Parallel, ForEach, Choice, Succeed {
  /** The node's name, unique within its runbook. */
  String name();

  /** A one-line description, or the empty string. */
  String description();

  /**
   * The node's condition: it runs only when this holds, decided once when the run reaches it.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  Optional<When<?>> when();
}
