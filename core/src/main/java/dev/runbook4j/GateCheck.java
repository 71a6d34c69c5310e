package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * Decides whether a run may go on. An exception counts as {@link GateDecision#recheck(String)}
 * until the gate's timeout.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface GateCheck<P> {
  GateDecision check(RunContext<P> ctx) throws Exception;
}
