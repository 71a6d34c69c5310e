package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The run was cancelled; its started steps are compensated like after any failure.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class RunCancelledException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public RunCancelledException(String runbook, String runId, String by, String reason) {
    super(Messages.cancelled(runbook, runId, by, reason));
  }
}
