package dev.runbook4j.testing;

import java.time.Duration;
import java.util.List;
import org.apiguardian.api.API;

/**
 * What a {@link FailureExplorer} found: every failure path it ran, and whether each held.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ExplorationReport {
  private final String runbook;
  private final long seed;
  private final int found;
  private final List<PathResult> paths;
  private final Duration wall;

  ExplorationReport(String runbook, long seed, int found, List<PathResult> paths, Duration wall) {
    this.runbook = runbook;
    this.seed = seed;
    this.found = found;
    this.paths = List.copyOf(paths);
    this.wall = wall;
  }

  public String runbook() {
    return runbook;
  }

  public long seed() {
    return seed;
  }

  /** Every path run, in the order the explorer found them. */
  public List<PathResult> paths() {
    return paths;
  }

  /** How many failure points the explorer found (more than it ran when it was told to sample). */
  public int found() {
    return found;
  }

  /** The paths that did not hold. */
  public List<PathResult> failures() {
    return paths.stream().filter(p -> !p.holds()).toList();
  }

  public boolean holds() {
    return paths.stream().allMatch(PathResult::holds);
  }

  /** Wall-clock time of the whole exploration. */
  public Duration wall() {
    return wall;
  }

  /** A headline, then one line per path with its verdict, and the problems of those that fail. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(headline()).append('\n');
    for (PathResult p : paths) {
      sb.append(p.toText());
    }
    return sb.toString();
  }

  /** "Explored 57 failure paths of runbook 'canary' (seed 1) in 0.8 s: all hold." */
  public String headline() {
    long failing = paths.stream().filter(p -> !p.holds()).count();
    return "Explored " + paths.size() + (paths.size() == 1 ? " failure path" : " failure paths")
        + (found > paths.size() ? " (a sample of " + found + ")" : "") + " of runbook '" + runbook + "' (seed " + seed
        + ") in " + String.format(java.util.Locale.ROOT, "%.1f s", wall.toMillis() / 1000.0) + ": "
        + (failing == 0 ? "all hold." : failing + (failing == 1 ? " of them does not hold." : " of them do not hold."));
  }

  /** Throws an {@link AssertionError} listing every path that does not hold, with the first one's journal. */
  public void assertAllHold() {
    List<PathResult> bad = failures();
    if (bad.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder(headline()).append('\n');
    for (PathResult p : bad) {
      sb.append(p.toText());
    }
    PathResult first = bad.get(0);
    if (first.run() != null) {
      sb.append("\nJournal of the first failing path (").append(first.point().name()).append("):\n")
          .append(first.run().journalText());
    }
    sb.append("Replay with -Drunbook4j.seed=").append(seed).append('\n');
    throw new AssertionError(sb.toString());
  }

  @Override
  public String toString() {
    return headline();
  }
}
