package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A step's action: does the change and returns the step's output (may be {@code null}).
 *
 * @param <P> the runbook's parameter type
 * @param <T> the step's output type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface StepAction<P, T> {
  T execute(StepContext<P> ctx) throws Exception;
}
