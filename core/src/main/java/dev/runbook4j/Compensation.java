package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * Undoes a step. It must be idempotent and must treat "nothing to undo" as success: it is called
 * for every step whose action <em>started</em>, also when the action failed or its outcome is
 * unknown, in which case {@code output} is {@code null}.
 *
 * @param <P> the runbook's parameter type
 * @param <T> the step's output type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface Compensation<P, T> {
  void compensate(StepContext<P> ctx, T output) throws Exception;
}
