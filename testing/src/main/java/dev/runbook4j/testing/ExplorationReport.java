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
  private final int prunedUndos;
  private final int prunedCrashes;
  private final List<PathResult> paths;
  private final Duration wall;

  ExplorationReport(String runbook, long seed, int found, int prunedUndos, int prunedCrashes, List<PathResult> paths,
      Duration wall) {
    this.runbook = runbook;
    this.seed = seed;
    this.found = found;
    this.prunedUndos = prunedUndos;
    this.prunedCrashes = prunedCrashes;
    this.paths = List.copyOf(paths);
    this.wall = wall;
  }

  public String runbook() {
    return runbook;
  }

  public long seed() {
    return seed;
  }

  /**
   * Every path run, in the order the explorer found them. A path that holds is kept without its
   * {@link PathResult#run() run} (null), so that a large exploration holds only its failing runs.
   */
  public List<PathResult> paths() {
    return paths;
  }

  /** How many failure points the explorer found (more than it ran when it was told to sample). */
  public int found() {
    return found;
  }

  /**
   * How many failure points the explorer left out as equivalent to one it ran: a compensation
   * failing in a rollback other than the longest one and the one it heads, and a crash between two
   * repetitions of a re-check or poll that repeat the one before and after
   * ({@link FailureExplorer#exhaustive(boolean)} runs them all).
   */
  public int pruned() {
    return prunedUndos + prunedCrashes;
  }

  /**
   * The paths whose fault the run never reached (a fault meant for a parallel branch's step that ran
   * in another order): they prove nothing about that fault. Counted apart; they hold unless the
   * check is {@link #holds(boolean) strict}.
   */
  public List<PathResult> notReached() {
    return paths.stream().filter(p -> p.holds() && !p.reached()).toList();
  }

  /** Whether every path holds and, when {@code strict}, also reached its fault. */
  public boolean holds(boolean strict) {
    return holds() && (!strict || notReached().isEmpty());
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
    sb.append(notes());
    return sb.toString();
  }

  /** What the exploration pruned, one line each (empty when it pruned nothing). */
  public String notes() {
    StringBuilder sb = new StringBuilder();
    if (prunedUndos > 0) {
      sb.append("  (").append(prunedUndos).append(prunedUndos == 1 ? " combination" : " combinations")
          .append(" pruned: a compensation failing in a rollback other than the longest and the one it heads,"
              + " which behaves as one of those; explore exhaustively to run them)\n");
    }
    if (prunedCrashes > 0) {
      sb.append("  (").append(prunedCrashes).append(prunedCrashes == 1 ? " crash point" : " crash points")
          .append(" pruned: between repetitions of a re-check or poll with the same outcome, which behave as the"
              + " first and last repetition; explore exhaustively to run them)\n");
    }
    return sb.toString();
  }

  /** "Explored 57 failure paths of runbook 'canary' (seed 1) in 0.8 s: all hold." */
  public String headline() {
    long failing = paths.stream().filter(p -> !p.holds()).count();
    long unreached = notReached().size();
    String reach = unreached == 0 ? "" : " (" + unreached + " did not reach their fault)";
    return "Explored " + paths.size() + (paths.size() == 1 ? " failure path" : " failure paths")
        + (found > paths.size() ? " (a sample of " + found + ")" : "") + " of runbook '" + runbook + "' (seed " + seed
        + ") in " + String.format(java.util.Locale.ROOT, "%.1f s", wall.toMillis() / 1000.0) + ": "
        + (failing == 0 && unreached == 0 ? "all hold."
            : failing == 0 ? "all hold, but " + unreached + (unreached == 1 ? " path did not reach its fault" : " paths did not reach their fault")
                + " (proving nothing about it)."
            : failing + (failing == 1 ? " of them does not hold" : " of them do not hold") + reach + ".");
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
