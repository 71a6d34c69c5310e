package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * More items of a {@code forEach} failed than its {@code maxErrors} allows.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class ThresholdExceededException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public ThresholdExceededException(
      String runbook, String runId, String forEachId, int failed, int total, int maxErrors, Throwable first) {
    super(Messages.thresholdExceeded(runbook, runId, forEachId, failed, total, maxErrors), first);
  }
}
