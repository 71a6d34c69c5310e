package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * What a run does when a step exhausts its retries or a gate rejects.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public enum OnFailure {
  /** Fail the run and compensate every started step in reverse start order (the default). */
  ROLLBACK,
  /** Record the failure and go on with the next node; the step still counts as started. */
  CONTINUE,
  /** Stop the run where it is, compensating nothing; the run ends {@link RunState#ABORTED}. */
  ABORT
}
