package dev.runbook4j.cli;

import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptParams;
import dev.runbook4j.dsl.ScriptRunbook;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.PathResult;
import dev.runbook4j.testing.ScriptSubjects;
import dev.runbook4j.testing.Subject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runbook4j test FILE}: every failure path of a script, run on virtual time, with its verdict. */
@Command(name = "test", description = {
    "Explores every failure path of a script on virtual time: each step failing (error, and timeout after its call),"
        + " each gate rejecting, each watch breaching during each wait, each compensation failing in the longest"
        + " rollback and in the one it heads (--exhaustive: in every rollback), the engine crashing before and after"
        + " each journal write. Prints each path and whether it held (the run ended as it should, compensations ran"
        + " for exactly the started steps in reverse order, no effect twice, the script's invariants hold); a path"
        + " whose run never reached its fault is counted apart. Exit 0 only if all hold (with --strict, and all"
        + " reached their fault).",
    "The script's actions run for real, once or more per path, one path at a time, on a virtual clock: point its"
        + " parameters at a test environment, and give the script a testReset { } block that puts it back before each"
        + " path. Nothing is written to the journal of .runbook4j."})
final class TestCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The runbook script.")
  Path file;

  @Option(names = "-p", paramLabel = "NAME=VALUE", description = "A parameter.")
  List<String> params = new ArrayList<>();

  @Option(names = "--approve", paramLabel = "GATE=USER[,USER...]",
      description = "Who approves an approval gate on every path (default: the gate's first named approvers).")
  List<String> approvals = new ArrayList<>();

  @Option(names = "--no-crashes", description = "Leave out the crashes at journal writes.")
  boolean noCrashes;

  @Option(names = "--no-compensation-failures", description = "Leave out compensations failing during rollbacks.")
  boolean noCompensationFailures;

  @Option(names = "--exhaustive", description = "Fail each compensation in every distinct rollback (N²/2 paths for N"
      + " steps), not only in the longest one and the one it heads.")
  boolean exhaustive;

  @Option(names = "--strict", description = "Exit 6 also when a path's run never reached its fault (it proves nothing"
      + " about it).")
  boolean strict;

  @Option(names = "--sample", paramLabel = "N", description = "Run N failure points chosen with the seed (0: all).")
  int sample;

  @Option(names = "--seed", paramLabel = "N", description = "The seed (default: 1); printed in the report.")
  Long seed;

  @Option(names = "--journal-of-failures", description = "Print the journal of every path that does not hold.")
  boolean journals;

  @Override
  public Integer call() {
    ScriptRunbook script = RunbookScripts.load(file);
    ScriptParams p = script.params(Main.params(params));
    Map<String, String> gates = Main.params(approvals);
    FailureExplorer<ScriptParams> explorer = FailureExplorer.of(() -> {
      Subject<ScriptParams> s = ScriptSubjects.of(script, p);
      gates.forEach((gate, users) -> s.approveAs(gate, users.split(",")));
      return s;
    }).crashes(!noCrashes).compensationFailures(!noCompensationFailures).exhaustive(exhaustive).sample(sample)
        .parallelism(1);
    if (seed != null) {
      explorer.seed(seed);
    }
    // each path's line as soon as it is run: what the script's actions print appears above the line of the
    // path that made them
    ExplorationReport report = explorer.explore(r -> {
      System.out.print(r.toText());
      System.out.flush();
    });
    System.out.println(report.headline());
    System.out.print(report.notes());
    if (journals) {
      for (PathResult r : report.failures()) {
        if (r.run() != null) {
          System.out.println();
          System.out.println(r.point().name());
          System.out.print(r.run().journalText());
        }
      }
    }
    int unreached = report.notReached().size();
    int total = report.paths().size();
    String apart = unreached == 0 ? ""
        : unreached + (unreached == 1 ? " path" : " paths") + " did not reach " + (unreached == 1 ? "its" : "their")
            + " fault and " + (unreached == 1 ? "proves" : "prove") + " nothing about it"
            + (strict ? " (--strict fails them)" : " (--strict would fail them)");
    if (report.holds()) {
      System.out.println(unreached == 0 ? "All " + total + " failure paths hold."
          : (total - unreached) + " of " + total + " failure paths hold; " + apart + ".");
    } else {
      System.out.println(report.failures().size() + " of " + total + " failure paths "
          + (report.failures().size() == 1 ? "does not hold" : "do not hold")
          + (journals ? "" : "; --journal-of-failures prints their journals") + (unreached == 0 ? "." : "; " + apart + "."));
    }
    return report.holds(strict) ? Main.OK : Main.PATH_FAILS;
  }
}
