package dev.runbook4j.examples;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.Nodes;
import dev.runbook4j.OnFailure;
import dev.runbook4j.Plan;
import dev.runbook4j.RetrySpec;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.StepKey;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The main example: a canary release of a service, as a typed runbook.
 *
 * <p>Deploy the new version beside the stable one, check it is healthy, shift traffic 10% → 50% →
 * 100% with a bake after each shift while a watch reads the error rate, then promote it and retire
 * the old version. Any failure (a breach during a bake, a failed shift, a rejected gate) undoes
 * every started step in reverse: traffic goes back, the new version is removed. Runs are journaled in
 * the embedded default, the SQLite file {@code .runbook4j/journal.db} under the current folder.
 *
 * <pre>
 *   ./mvnw -q -pl examples -am compile exec:java                         # succeeds
 *   ./mvnw -q -pl examples -am compile exec:java -Dexec.args=--break     # the canary breaks at 50%: rollback
 * </pre>
 */
public final class CanaryRelease {
  /** The release's typed parameters. */
  public record Release(String version, List<Integer> steps, Duration bake) {}

  static final StepKey<String> DEPLOY = StepKey.of("deploy", String.class);
  static final StepKey<String> PROMOTE = StepKey.of("promote", String.class);

  private CanaryRelease() {}

  /** The runbook, over {@code fleet}. */
  public static Runbook<Release> runbook(Fleet fleet) {
    Runbook.Builder<Release> b = Runbook.builder("canary-release", Release.class)
        .description("Canary release with automatic rollback on error rate")
        .lock(r -> "fleet")
        .validateParams(r -> r.version().matches("\\d+\\.\\d+\\.\\d+") && !r.steps().isEmpty()
            ? List.of() : List.of("version must look like 1.2.3 and steps must not be empty, was " + r))
        .watch("error-rate", Duration.ofSeconds(1), ctx -> fleet.errorRate() < 1.0 ? Health.healthy()
            : Health.breached(String.format("error rate %.1f%% is above 1%%", fleet.errorRate())))
        .step(DEPLOY, s -> s
            .description("deploy the new version beside the stable one")
            .action(ctx -> fleet.deploy(ctx.params().version()))
            .compensate((ctx, version) -> fleet.remove(ctx.params().version()))
            .retry(RetrySpec.builder().maxAttempts(3).backoff(Duration.ofSeconds(1)).build()))
        .gate("healthy", g -> g
            .description("the new version answers its health check")
            .check(ctx -> fleet.isDeployed(ctx.output(DEPLOY)) ? GateDecision.pass()
                : GateDecision.recheck("not deployed yet"))
            .every(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(30)));
    b.group("canary", g -> shifts(g, fleet));
    return b
        .step(PROMOTE, s -> s
            .description("make the new version stable")
            .action(ctx -> {
              String old = fleet.stable();
              fleet.promote(ctx.output(DEPLOY));
              return old;
            })
            .compensate((ctx, old) -> {
              if (old != null) {
                fleet.promote(old);
              }
            }))
        .step("retire-old", s -> s
            .description("remove the previous version: after this there is no way back")
            .action(ctx -> {
              fleet.remove(ctx.output(PROMOTE));
              return null;
            })
            .irreversible()
            .onFailure(OnFailure.CONTINUE))
        .build();
  }

  /** One shift step and one bake per traffic percentage; the percentages come from the parameters. */
  private static void shifts(Nodes.Block<Release> g, Fleet fleet) {
    for (int i = 0; i < 3; i++) {
      int index = i;
      g.step("shift-" + (i + 1), s -> s
          .description("route the next share of traffic to the canary")
          .action(ctx -> {
            List<Integer> steps = ctx.params().steps();
            int percent = steps.get(Math.min(index, steps.size() - 1));
            int before = fleet.canaryPercent();
            fleet.route(ctx.output(DEPLOY), percent);
            return before;
          })
          .compensate((ctx, before) -> fleet.route(ctx.params().version(), before == null ? 0 : (Integer) before)));
      g.bake("bake-" + (i + 1), Duration.ofSeconds(2));
    }
  }

  public static void main(String[] args) {
    boolean breakIt = List.of(args).contains("--break");
    Fleet fleet = new Fleet("1.4.1");
    if (breakIt) {
      fleet.breakWhenAbove("1.4.2", 10);
    }
    Release release = new Release("1.4.2", List.of(10, 50, 100), Duration.ofSeconds(2));
    Runbook<Release> runbook = runbook(fleet);

    Plan plan = Plan.of(runbook, release);
    System.out.println(plan.toText());
    Instant t0 = Instant.now();
    Path journalFile = Path.of(".runbook4j", "journal.db");
    try (JdbcJournal journal = JdbcJournal.sqlite(journalFile);
        RunbookEngine engine = RunbookEngine.builder()
        .journal(journal)
        .listener(e -> {
          String line = describe(t0, e);
          if (line != null) {
            System.out.println(line);
          }
        })
        .build()) {
      RunResult result = engine.run(runbook, release);
      System.out.println();
      System.out.println("Result: " + result.state());
      result.failure().ifPresent(f -> System.out.println("Why:    " + f.getMessage()));
      if (!result.compensated().isEmpty()) {
        System.out.println("Undone: " + String.join(" <- ", result.compensated()));
      }
      System.out.println("Fleet:  " + fleet);
      int runs = journal.runIds().size();
      System.out.println("Journal: " + journalFile.toAbsolutePath() + " (" + runs + (runs == 1 ? " run" : " runs")
          + "; this one's hash chain " + (journal.verify(result.runId()).ok() ? "verifies" : "DOES NOT verify") + ")");
      System.exit(result.state() == RunState.SUCCEEDED || breakIt && result.state() == RunState.ROLLED_BACK ? 0 : 1);
    }
  }

  /** One line per event a person watching the run cares about, or null for the others. */
  static String describe(Instant t0, RunEvent e) {
    String at = String.format("%5.1fs  ", Duration.between(t0, e.at()).toMillis() / 1000.0);
    String what;
    if (e instanceof RunEvent.RunStarted s) {
      what = "run " + s.runId() + " of " + s.runbook() + " started by " + s.requester() + " (plan "
          + s.planHash().substring(0, 12) + ")";
    } else if (e instanceof RunEvent.StepStarted s) {
      what = "step " + s.stepId() + " started" + (s.attempt() > 1 ? " (attempt " + s.attempt() + ")" : "");
    } else if (e instanceof RunEvent.StepSucceeded s) {
      what = "step " + s.stepId() + " done" + (s.output() == null ? "" : " -> " + s.output());
    } else if (e instanceof RunEvent.StepFailed s) {
      what = "step " + s.stepId() + " failed: " + s.error() + (s.willRetry() ? " (will retry)" : "");
    } else if (e instanceof RunEvent.GatePassed g) {
      what = "gate " + g.gateId() + " passed";
    } else if (e instanceof RunEvent.GateWaiting g) {
      what = "gate " + g.gateId() + " not yet: " + g.reason();
    } else if (e instanceof RunEvent.GateRejected g) {
      what = "gate " + g.gateId() + " rejected: " + g.reason();
    } else if (e instanceof RunEvent.WaitStarted w) {
      what = w.kind().name().toLowerCase() + " " + w.waitId() + " until +"
          + Duration.between(t0, w.deadline()).toSeconds() + "s";
    } else if (e instanceof RunEvent.WatchBreached w) {
      what = "WATCH " + w.watchId() + " BREACHED: " + w.reason();
    } else if (e instanceof RunEvent.RollbackStarted r) {
      what = "ROLLBACK of " + r.toCompensate();
    } else if (e instanceof RunEvent.CompensationSucceeded c) {
      what = "undid " + c.stepId();
    } else if (e instanceof RunEvent.CompensationFailed c) {
      what = "undo of " + c.stepId() + " failed: " + c.error();
    } else if (e instanceof RunEvent.RunFinished f) {
      what = "run ended " + f.state() + ": " + f.summary();
    } else if (e instanceof RunEvent.WaitFinished w) {
      what = w.waitId() + " over";
    } else {
      return null;  // state changes, locks, ...: in the journal, not on the screen
    }
    return at + what;
  }
}
