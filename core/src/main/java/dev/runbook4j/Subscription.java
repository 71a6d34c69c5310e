package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A listener's registration; closing it removes the listener. Closing twice does nothing.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  @Override
  void close();
}
