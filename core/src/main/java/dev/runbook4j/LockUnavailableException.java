package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A run with {@link LockPolicy#FAIL_FAST} found its lock held by another run, and ended before
 * any step.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class LockUnavailableException extends RunbookException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String holder;

  public LockUnavailableException(String runbook, String runId, String key, String holder) {
    super("Run " + runId + " (" + runbook + ") did not start: lock '" + key + "' is held by run " + holder
        + " and the lock's policy is fail-fast");
    this.key = key;
    this.holder = holder;
  }

  /** The lock. */
  public String key() {
    return key;
  }

  /** The run that held it. */
  public String holder() {
    return holder;
  }
}
