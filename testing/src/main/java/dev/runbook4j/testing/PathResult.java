package dev.runbook4j.testing;

import java.time.Duration;
import java.util.List;
import org.apiguardian.api.API;

/**
 * One explored failure path: the point, the run it produced (after the restart, for a crash), and
 * what did not hold.
 *
 * @param point the failure point
 * @param run the run; null when the path could not run (see {@code problems}), and in an
 *     {@link ExplorationReport} for a path that holds (the report keeps only failing runs, unless
 *     {@link FailureExplorer#keepRuns(boolean)})
 * @param problems what did not hold, one sentence each; empty when the path holds
 * @param wall how long the path took on the wall clock
 * @param reached whether the run reached the fault; parallel branches may run in another order than
 *     in the path without fault, so a fault meant for a branch's step may find it not started: the
 *     path is then checked without its expected end
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record PathResult(FailurePoint point, TestRun run, List<String> problems, Duration wall, boolean reached) {
  public PathResult {
    problems = List.copyOf(problems);
  }

  /** Whether everything the path should prove held. */
  public boolean holds() {
    return problems.isEmpty();
  }

  /** The path's line in a report, its problems below it, indented. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(!holds() ? "  FAIL  " : reached ? "  ok    " : "  n/a   ").append(point.name())
        .append(reached ? "" : " (the run did not reach the fault)").append('\n');
    for (String p : problems) {
      sb.append("          - ").append(p).append('\n');
    }
    return sb.toString();
  }

  /**
   * Throws an {@link AssertionError} naming the failure point, each problem and the run's journal,
   * when the path does not hold.
   */
  public void assertHolds() {
    if (!holds()) {
      throw new AssertionError("The failure path does not hold: " + point.name() + "\n"
          + String.join("\n", problems.stream().map(p -> "  - " + p).toList()) + "\n"
          + (run == null ? "" : run.journalText()));
    }
  }
}
