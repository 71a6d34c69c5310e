package dev.runbook4j;

import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Asks the target whether an attempt whose outcome was lost (the process died after the action was
 * called and before its result was journaled) took effect. Called on resume, before the step is
 * attempted again with the same idempotency key: return the step's output if the change is there
 * (the step then counts as succeeded and is not called again), or empty to call it again.
 *
 * @param <P> the runbook's parameter type
 * @param <T> the step's output type
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@FunctionalInterface
public interface Reconcile<P, T> {
  Optional<T> reconcile(StepContext<P> ctx) throws Exception;
}
