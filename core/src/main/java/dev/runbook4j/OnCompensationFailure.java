package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * What a rollback does when a step's compensation fails for good (after its own retries).
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public enum OnCompensationFailure {
  /** Record the failure and go on undoing the steps started before it (the default). */
  CONTINUE,
  /**
   * Stop the rollback there: the steps started before it are not attempted (their undo may depend
   * on this one's), and the run ends {@link RunState#ROLLBACK_FAILED} naming them.
   */
  STOP
}
