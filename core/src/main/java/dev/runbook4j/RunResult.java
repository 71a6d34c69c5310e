package dev.runbook4j;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Where a run stands when {@code run} returns: ended, or parked at an approval.
 *
 * @param runId the run's id
 * @param runbook the runbook's name
 * @param state a terminal state, or {@link RunState#AWAITING_APPROVAL} when parked
 * @param failure what made the run roll back or abort; compensation failures are its suppressed
 *     exceptions (and {@link CompensationFailedException} is one of them)
 * @param started the ids of the steps whose action started, in start order
 * @param compensated the ids of the steps undone, in the order they were undone
 * @param compensationFailed the ids of the steps whose compensation failed for good
 * @param notUndone started steps that rollback passed over: irreversible and read-only ones
 * @param outputs the outputs of succeeded steps by step id, in completion order (a step that
 *     returned {@code null} maps to {@code null})
 * @param skipped the nodes passed over because their condition did not hold, in the order they
 *     were reached (since 0.9)
 * @param endedEarly the reason of the {@code succeed} the run ended at, if it did (since 0.9)
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public record RunResult(String runId, String runbook, RunState state, Optional<RunbookException> failure,
    List<String> started, List<String> compensated, List<String> compensationFailed, List<String> notUndone,
    Map<String, Object> outputs, List<String> skipped, Optional<String> endedEarly) {

  public RunResult {
    started = List.copyOf(started);
    compensated = List.copyOf(compensated);
    compensationFailed = List.copyOf(compensationFailed);
    notUndone = List.copyOf(notUndone);
    outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
    skipped = List.copyOf(skipped);
    java.util.Objects.requireNonNull(endedEarly, "endedEarly");
  }

  /** A result with no skipped node and no early end (the form before 0.9). */
  public RunResult(String runId, String runbook, RunState state, Optional<RunbookException> failure,
      List<String> started, List<String> compensated, List<String> compensationFailed, List<String> notUndone,
      Map<String, Object> outputs) {
    this(runId, runbook, state, failure, started, compensated, compensationFailed, notUndone, outputs, List.of(),
        Optional.empty());
  }

  /** Whether the run is parked at an approval rather than ended. */
  public boolean isParked() {
    return state == RunState.AWAITING_APPROVAL;
  }

  @Override
  public String toString() {
    return "Run " + runId + " (" + runbook + ") " + state
        + (compensated.isEmpty() ? "" : ", compensated " + compensated)
        + (compensationFailed.isEmpty() ? "" : ", compensation failed " + compensationFailed)
        + endedEarly.map(r -> ", ended early: " + r).orElse("")
        + failure.map(f -> ": " + f.getMessage()).orElse("");
  }
}
