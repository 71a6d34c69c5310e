package dev.runbook4j;

import java.time.Duration;
import org.apiguardian.api.API;

/**
 * A {@code waitUntil} condition did not hold before its timeout.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class WaitTimeoutException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public WaitTimeoutException(String runbook, String runId, String waitId, Duration timeout, int polls) {
    super(Messages.waitTimedOut(runbook, runId, waitId, timeout, polls));
  }
}
