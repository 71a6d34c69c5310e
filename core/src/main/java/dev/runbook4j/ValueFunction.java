package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A setting taken from the run instead of written in the runbook — a bake's duration from a
 * parameter, say — resolved when the run reaches its node and checked as a literal would be. One
 * that reads only the parameters is also resolved when the plan is made, so the plan shows the
 * value (and a bad one is refused before the run starts).
 *
 * @param <P> the runbook's parameter type
 * @param <T> the value's type
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
@FunctionalInterface
public interface ValueFunction<P, T> {
  T value(RunContext<P> ctx) throws Exception;
}
