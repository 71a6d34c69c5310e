package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * What a run does when the lock it needs is held by another run.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public enum LockPolicy {
  /** Queue behind the holder and the runs already waiting; runs get the lock in the order they asked. */
  FIFO,
  /**
   * Queue behind the holder, and end every run still waiting for the lock: the newest change
   * supersedes older ones that have not started (they end {@code ROLLED_BACK} with nothing started
   * and the reason "superseded by run ..."). The holder is never interrupted.
   */
  LATEST_WINS,
  /** Do not wait: the run fails at once, before any step, naming the run that holds the lock. */
  FAIL_FAST;

  /** The name shown in plans: {@code fifo}, {@code latest-wins}, {@code fail-fast}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
