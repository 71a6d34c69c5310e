package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * No run with the given id is known to this engine or its journal.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class UnknownRunException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public UnknownRunException(String runId) {
    super("No run '" + runId + "' in this engine's journal");
  }
}
