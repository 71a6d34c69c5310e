package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A watch reported a breach (or its check threw) while it was in scope.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class WatchBreachedException extends RunbookException {
  private static final long serialVersionUID = 1L;
  private final String watchId;

  public WatchBreachedException(String runbook, String runId, String watchId, String where, String reason) {
    super(Messages.watchBreached(runbook, runId, watchId, where, reason));
    this.watchId = watchId;
  }

  public String watchId() {
    return watchId;
  }
}
