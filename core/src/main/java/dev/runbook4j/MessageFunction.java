package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The text of a message, made from what the run knows when it is sent: its parameters and earlier
 * steps' outputs. The engine masks the run's secrets in it before any notifier sees it.
 *
 * @param <P> the runbook's parameter type
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
@FunctionalInterface
public interface MessageFunction<P> {
  String text(RunContext<P> ctx) throws Exception;
}
