package dev.runbook4j.spi;

import org.apiguardian.api.API;

/**
 * A scheduled task that can be called off; cancelling a task that already ran does nothing.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@FunctionalInterface
public interface Cancellable {
  void cancel();
}
