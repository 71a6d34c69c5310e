package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The state of a run. Every transition is journaled as a {@link RunEvent.RunStateChanged}.
 *
 * <table>
 *   <caption>Run states</caption>
 *   <tr><th>State</th><th>Terminal</th><th>Meaning</th></tr>
 *   <tr><td>{@code RUNNING}</td><td>no</td><td>a step, gate check or composite is in progress</td></tr>
 *   <tr><td>{@code WAITING}</td><td>no</td><td>a sleep, waitUntil, bake, gate re-check or lock is pending; no thread is held</td></tr>
 *   <tr><td>{@code AWAITING_APPROVAL}</td><td>no</td><td>an approval gate waits for people; {@code run} returns (the run is parked)</td></tr>
 *   <tr><td>{@code ROLLING_BACK}</td><td>no</td><td>compensations run in reverse start order</td></tr>
 *   <tr><td>{@code SUCCEEDED}</td><td>yes</td><td>every node completed (failures under {@code onFailure(CONTINUE)} included)</td></tr>
 *   <tr><td>{@code ROLLED_BACK}</td><td>yes</td><td>the run failed or was cancelled and every compensation succeeded</td></tr>
 *   <tr><td>{@code ROLLBACK_FAILED}</td><td>yes</td><td>at least one compensation failed after its retries; locks are kept</td></tr>
 *   <tr><td>{@code ABORTED}</td><td>yes</td><td>a step or gate with {@code onFailure(ABORT)} failed: stopped, nothing compensated</td></tr>
 * </table>
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public enum RunState {
  RUNNING,
  WAITING,
  AWAITING_APPROVAL,
  ROLLING_BACK,
  SUCCEEDED,
  ROLLED_BACK,
  ROLLBACK_FAILED,
  ABORTED;

  /** Whether a run in this state has ended. */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == ROLLED_BACK || this == ROLLBACK_FAILED || this == ABORTED;
  }
}
