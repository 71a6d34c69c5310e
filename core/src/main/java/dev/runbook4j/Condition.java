package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * Whether a node runs ({@code when}), or which option of a {@code choose} does: a question about
 * the run's parameters and earlier steps' outputs, asked once when the run reaches the node, and
 * journaled. An exception rolls the run back, naming the node and the condition.
 *
 * <p>A condition that reads only the parameters is also asked when the plan is made, so the plan
 * shows which nodes run; one that reads an output (or anything a plan does not know yet) shows as
 * "decided when reached". Keep conditions free of side effects.
 *
 * @param <P> the runbook's parameter type
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
@FunctionalInterface
public interface Condition<P> {
  boolean test(RunContext<P> ctx) throws Exception;
}
