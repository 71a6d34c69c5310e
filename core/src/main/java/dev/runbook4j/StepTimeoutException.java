package dev.runbook4j;

import java.time.Duration;
import org.apiguardian.api.API;

/**
 * One attempt of a step (or compensation) ran past its timeout; the action's thread was
 * interrupted. Retried like any other failure when the step's {@link RetrySpec} allows it.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class StepTimeoutException extends RunbookException {
  private static final long serialVersionUID = 1L;
  private final Duration timeout;

  public StepTimeoutException(String stepId, int attempt, Duration timeout) {
    super(Messages.stepTimedOut(stepId, attempt, timeout));
    this.timeout = timeout;
  }

  public Duration timeout() {
    return timeout;
  }
}
