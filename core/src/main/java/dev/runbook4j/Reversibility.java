package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * How a step's effect is undone; every step declares exactly one.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public enum Reversibility {
  /** The step has a compensation that undoes it. */
  COMPENSATED,
  /** The step has no side effect; nothing to undo. */
  READ_ONLY,
  /** The step cannot be undone: a point of no return, flagged in the plan. */
  IRREVERSIBLE
}
