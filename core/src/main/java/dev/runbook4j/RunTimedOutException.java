package dev.runbook4j;

import java.time.Duration;
import java.time.Instant;
import org.apiguardian.api.API;

/**
 * A run passed its runbook's timeout ({@link Runbook.Builder#timeout}) before it ended: it rolls
 * back. The deadline is its start plus the timeout, so it holds across restarts.
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public class RunTimedOutException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public RunTimedOutException(String runbook, String runId, Duration timeout, Instant deadline, String where) {
    super("Run " + runId + " (" + runbook + ") passed its timeout of " + Durations.format(timeout) + " (due by "
        + deadline + ")" + (where == null ? "" : " " + where) + "; rolling back");
  }
}
