package dev.runbook4j;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A snapshot of a run, safe to read from any thread.
 *
 * @param runId the run's id
 * @param runbook the runbook's name
 * @param state the current state
 * @param requester who started it
 * @param planHash the hash of the plan it runs
 * @param active the ids of the nodes in progress (steps, gates, waits)
 * @param awaitingApproval the approval gates waiting for people
 * @param started the started steps, in start order
 * @param compensated the steps undone so far
 * @param failure the failure that started a rollback, or the storage error the run is paused on
 * @param listenerFailures how many times a listener threw on this run's events
 * @param updatedAt the instant of the last event
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public record RunStatus(String runId, String runbook, RunState state, String requester, String planHash,
    List<String> active, List<String> awaitingApproval, List<String> started, List<String> compensated,
    Optional<String> failure, int listenerFailures, Instant updatedAt) {

  public RunStatus {
    active = List.copyOf(active);
    awaitingApproval = List.copyOf(awaitingApproval);
    started = List.copyOf(started);
    compensated = List.copyOf(compensated);
  }
}
