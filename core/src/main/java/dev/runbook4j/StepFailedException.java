package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A step failed after its last attempt (or was stopped by a timeout that was not retried).
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class StepFailedException extends RunbookException {
  private static final long serialVersionUID = 1L;
  private final String runId;
  private final String stepId;
  private final int attempts;

  public StepFailedException(
      String runbook, String runId, String stepId, int attempts, int toCompensate, Throwable cause) {
    super(Messages.stepFailed(runbook, runId, stepId, attempts, cause, toCompensate), cause);
    this.runId = runId;
    this.stepId = stepId;
    this.attempts = attempts;
  }

  public String runId() {
    return runId;
  }

  public String stepId() {
    return stepId;
  }

  /** How many attempts were made, the failing one included. */
  public int attempts() {
    return attempts;
  }
}
