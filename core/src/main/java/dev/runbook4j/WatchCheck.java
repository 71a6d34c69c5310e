package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A monitor's probe: returns {@link Health#healthy()} or {@link Health#breached(String)}. An
 * exception counts as a breach (a monitor that cannot see is not a healthy monitor).
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface WatchCheck<P> {
  Health check(RunContext<P> ctx) throws Exception;
}
