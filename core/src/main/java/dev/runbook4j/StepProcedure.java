package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A step's action that returns nothing (the step's output is {@code null}), for
 * {@link Step.Builder#perform}: Java cannot tell a lambda that returns a value from one that
 * returns nothing when both are written {@code ctx -> call()}, so a method that returns
 * {@code void} gets its own verb rather than an overload of {@code action}.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface StepProcedure<P> {
  void execute(StepContext<P> ctx) throws Exception;
}
