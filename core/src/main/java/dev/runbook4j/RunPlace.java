package dev.runbook4j;

import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Where a run is now, as one engine sees it from its memory and its journal.
 *
 * <table>
 *   <caption>Where a run can be</caption>
 *   <tr><th>Place</th><th>Who holds it</th><th>Moves to</th></tr>
 *   <tr><td>{@code DRIVEN_HERE}</td><td>this engine's runner: running a node, or waiting in memory</td>
 *       <td>parked; ended; orphaned if this process dies</td></tr>
 *   <tr><td>{@code PARKED}</td><td>nobody in memory: a wake-up row in the journal (or a small entry of this
 *       engine), under the claim of the runner that parked it, if it is alive</td>
 *       <td>driven by that runner when due or decided; orphaned when that runner is gone</td></tr>
 *   <tr><td>{@code DRIVEN_ELSEWHERE}</td><td>another live runner's claim and lease</td>
 *       <td>orphaned when its lease lapses or its process on this host is gone</td></tr>
 *   <tr><td>{@code ORPHANED}</td><td>nobody: its runner stopped, died or lost its lease</td>
 *       <td>driven by the first runner that resumes it (with its locks)</td></tr>
 *   <tr><td>{@code ENDED}</td><td>—</td><td>nothing: decisions are refused; its locks are released unless it
 *       ended {@code ROLLBACK_FAILED} or {@code ABORTED}</td></tr>
 * </table>
 *
 * @param runId the run
 * @param place where it is
 * @param runner the runner that holds its claim (this engine's, or another's), when one does
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public record RunPlace(String runId, Place place, Optional<RunnerInfo> runner) {
  /** The places of {@link RunPlace}. */
  public enum Place { DRIVEN_HERE, PARKED, DRIVEN_ELSEWHERE, ORPHANED, ENDED }

  public RunPlace {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(place, "place");
    runner = runner == null ? Optional.empty() : runner;
  }
}
