package dev.runbook4j.testing;

import org.apiguardian.api.API;

/**
 * What a faulted step or compensation throws when the test gave no exception of its own: a
 * failure that says it was injected, so a journal read later never mistakes it for a real one.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public class InjectedFault extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InjectedFault(String message) {
    super(message);
  }
}
