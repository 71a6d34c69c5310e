package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The condition a {@code waitUntil} polls; an exception counts as "not yet".
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface WaitCondition<P> {
  boolean test(RunContext<P> ctx) throws Exception;
}
