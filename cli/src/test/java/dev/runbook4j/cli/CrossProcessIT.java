package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One driver per run and decisions in one order, across real processes of the command line on
 * one journal, as operators use it from several shells: two starts of one run id, two resumes,
 * a resume of a live run, a runner killed with SIGKILL, a cancel from another shell, an approval
 * racing a rejection, an approval after the gate's deadline. Every effect of the runbooks is a
 * line appended to a file by the step itself, so each test counts what really happened.
 */
class CrossProcessIT {
  @TempDir
  Path dir;

  private Cli cli;

  /** Two steps around a wait, under lock 'svc'; each action and compensation logs itself. */
  private String hold(String name, String duration) {
    return """
        runbook('%s') {
          parameters { string 'dir', required: true }
          lock 'svc'
          step('a') {
            action { ctx -> new File(params.dir, 'effects').append("do:a ${ctx.runId}\\n"); 'a' }
            compensate { ctx, out -> new File(params.dir, 'effects').append("undo:a ${ctx.runId}\\n") }
          }
          wait('hold', '%s')
          step('b') {
            action { ctx -> new File(params.dir, 'effects').append("do:b ${ctx.runId}\\n"); 'b' }
            compensate { ctx, out -> new File(params.dir, 'effects').append("undo:b ${ctx.runId}\\n") }
          }
        }
        """.formatted(name, duration);
  }

  private static final String GATED = """
      runbook('gated') {
        parameters { string 'dir', required: true }
        step('stage') {
          action { ctx -> new File(params.dir, 'effects').append("do:stage ${ctx.runId}\\n"); 'staged' }
          compensate { ctx, out -> new File(params.dir, 'effects').append("undo:stage ${ctx.runId}\\n") }
        }
        gate('approval') { approval { approvers 'alice', 'bob'; timeout '%s' } }
        step('ship') {
          action { ctx -> new File(params.dir, 'effects').append("do:ship ${ctx.runId}\\n"); 'shipped' }
          compensate { ctx, out -> new File(params.dir, 'effects').append("undo:ship ${ctx.runId}\\n") }
        }
      }
      """;

  private static final String FAN = """
      runbook('fan') {
        parameters { string 'dir', required: true }
        parallel('both') {
          branch('east') {
            gate('approve-east') { approval { approvers 'alice' } }
            step('ship-east') {
              action { ctx -> new File(params.dir, 'effects').append("do:east\\n"); 'e' }
              compensate { ctx, out -> new File(params.dir, 'effects').append("undo:east\\n") }
            }
          }
          branch('west') {
            step('ship-west') {
              action { ctx -> new File(params.dir, 'effects').append("do:west\\n"); 'w' }
              compensate { ctx, out -> new File(params.dir, 'effects').append("undo:west\\n") }
            }
          }
        }
        forEach('regions', items: ['eu', 'us'], maxConcurrency: 2) { item ->
          gate('go') { approval { approvers 'alice' } }
          step('ship') {
            action { ctx -> new File(params.dir, 'effects').append("do:ship ${ctx.item}\\n"); 's' }
            compensate { ctx, out -> new File(params.dir, 'effects').append("undo:ship ${ctx.item}\\n") }
          }
        }
      }
      """;

  /** A gate in one branch while the other soaks; then gates in two forEach items. */
  private static final String SOAK = """
      runbook('soak') {
        parameters { string 'dir', required: true }
        parallel('both') {
          branch('east') {
            gate('approve-east') { approval { approvers 'alice' } }
          }
          branch('west') {
            step('ship-west') {
              action { ctx -> new File(params.dir, 'effects').append("do:west ${ctx.runId}\\n"); 'w' }
              compensate { ctx, out -> new File(params.dir, 'effects').append("undo:west ${ctx.runId}\\n") }
            }
            wait('soak', '10m')
          }
        }
      }
      """;

  /**
   * One strand fails once five steps of its siblings ran (it waits for them, in real time, in the
   * child); each sibling has far more steps than it could run before the failure is seen.
   */
  private static final String BREAKS = """
      runbook('breaks') {
        parameters { string 'dir', required: true }
        def effect = { String dir, String line -> new File(dir, 'effects').append(line + '\\n') }
        def breakAfterFive = { String dir ->
          def f = new File(dir, 'effects')
          while (!f.exists() || f.readLines().size() < 5) { Thread.sleep(2) }  // real: its siblings run meanwhile
          throw new IllegalStateException('broke')
        }
        %s
      }
      """;

  private static final String BREAKS_IN_PARALLEL = """
        parallel('both') {
          branch('failing') {
            step('breaks') { action { ctx -> breakAfterFive(params.dir) }; compensate { ctx, out -> } }
          }
          (1..2).each { n ->
            branch("busy$n") {
              (1..150).each { i ->
                step("busy$n-s$i") {
                  action { ctx -> effect(params.dir, "do:busy$n/s$i"); i }
                  compensate { ctx, out -> effect(params.dir, "undo:busy$n/s$i") }
                }
              }
            }
          }
        }
      """;

  private static final String BREAKS_IN_FOREACH = """
        forEach('items', items: ['failing', 'busy1', 'busy2'], maxConcurrency: 3) { item ->
          (1..150).each { i ->
            step("s$i") {
              action { ctx -> if (ctx.item == 'failing') { breakAfterFive(params.dir) }; effect(params.dir, "do:${ctx.item}/s$i"); i }
              compensate { ctx, out -> effect(params.dir, "undo:${ctx.item}/s$i") }
            }
          }
        }
      """;

  private void script(String file, String text) throws IOException {
    cli = new Cli(dir);
    Files.writeString(dir.resolve(file), text);
  }

  private String param() {
    return "dir=" + dir;
  }

  private List<String> effects() throws IOException {
    Path f = dir.resolve("effects");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }

  private long count(List<String> items, String item) {
    return Collections.frequency(items, item);
  }

  @Test
  void twoRunsOfOneRunIdStartedAtOnceCallEachActionOnce() throws Exception {
    script("hold.runbook.groovy", hold("hold", "3s"));
    for (int i = 1; i <= 2; i++) {
      String id = "twin-" + i;
      Cli.Running first = cli.start("run", "hold.runbook.groovy", "-p", param(), "--run-id", id);
      Cli.Running second = cli.start("run", "hold.runbook.groovy", "-p", param(), "--run-id", id);
      Cli.Result a = first.result();
      Cli.Result b = second.result();
      assertThat(a.code()).as(a.both()).isZero();
      assertThat(b.code()).as(b.both()).isZero();  // the follower ends with the run's exit code
      assertThat(effects()).containsOnlyOnce("do:a " + id, "do:b " + id);
      List<String> types = cli.eventTypes(id);
      assertThat(count(types, "RunStarted")).isEqualTo(1);
      assertThat(count(types, "RunFinished")).isEqualTo(1);
      assertThat(count(types, "StepStarted")).isEqualTo(2);
    }
  }

  @Test
  void aLiveRunIsNeitherResumedNorDrivenByAnotherShellAndItsCancelReleasesItsLock() throws Exception {
    script("hold.runbook.groovy", hold("hold", "40s"));
    Files.writeString(dir.resolve("quick.runbook.groovy"), hold("quick", "1s"));
    Cli.Running run = cli.start("run", "hold.runbook.groovy", "-p", param(), "--run-id", "live");
    cli.awaitState("live", "WAITING");

    Cli.Result resume = cli.run("resume", "live");
    assertThat(resume.code()).as(resume.both()).isEqualTo(1);
    assertThat(resume.err()).contains("Run live (hold) is driven by runner '", "pid " + run.process.pid(),
        "it is not resumed here");
    JsonNode status = cli.status("live");
    assertThat(status.get("place").asText()).isEqualTo("DRIVEN_ELSEWHERE");
    assertThat(status.get("driver").asText()).contains("pid " + run.process.pid());

    Cli.Running attached = cli.start("run", "hold.runbook.groovy", "-p", param(), "--run-id", "live");
    for (int i = 0; i < 300 && !attached.outSoFar().contains("following it"); i++) {
      Thread.sleep(100);  // a real child process: real time
    }
    assertThat(attached.outSoFar()).contains("is driven by runner '", "following it");

    Cli.Result cancel = cli.run("cancel", "live", "--as", "oncall", "--reason", "bad numbers");
    assertThat(cancel.code()).as(cancel.both()).isZero();
    assertThat(cancel.out()).contains("cancel of run live recorded; the run is rolling back");
    Cli.Result ran = run.result();
    assertThat(ran.code()).as(ran.both()).isEqualTo(2);
    assertThat(ran.out()).contains("undid a", "cancelled by oncall: bad numbers");
    Cli.Result followed = attached.result();
    assertThat(followed.code()).as(followed.both()).isEqualTo(2);
    assertThat(followed.out()).contains("undid a", "ended ROLLED_BACK");
    assertThat(effects()).containsExactly("do:a live", "undo:a live");

    // the lock is free: the next run on it goes on at once
    Cli.Result next = cli.run("run", "quick.runbook.groovy", "-p", param(), "--run-id", "next");
    assertThat(next.code()).as(next.both()).isZero();
    assertThat(cli.run("cancel", "live").err()).contains("run live has ended ROLLED_BACK; there is nothing to cancel");
    assertThat(cli.run("cancel", "live").code()).isEqualTo(1);
  }

  @Test
  void aRunnerKilledWithSigkillHasItsRunAndLockTakenOverAtOnceByTheNextResume() throws Exception {
    script("hold.runbook.groovy", hold("hold", "8s"));
    Files.writeString(dir.resolve("quick.runbook.groovy"), hold("quick", "1s"));
    Cli.Running run = cli.start("run", "hold.runbook.groovy", "-p", param(), "--run-id", "killed");
    cli.awaitState("killed", "WAITING");
    run.process.destroyForcibly();  // SIGKILL: no shutdown hook, no close, its lease stays in the journal
    assertThat(run.process.waitFor(30, TimeUnit.SECONDS)).isTrue();

    JsonNode status = cli.status("killed");
    assertThat(status.get("state").asText()).isEqualTo("WAITING");
    assertThat(status.get("place").asText()).isEqualTo("ORPHANED");  // its process is gone: known at once

    // the killed run still holds its lock: a run on it waits, and says what for
    Cli.Running behind = cli.start("run", "quick.runbook.groovy", "-p", param(), "--run-id", "behind");
    cli.awaitState("behind", "WAITING");
    assertThat(cli.status("behind").get("active").toString()).contains("lock:svc");

    // the 30 s lease is not waited out (the resume would be refused while it holds): this host can tell
    // that the runner's process is gone; the run goes on from its wait, with its lock
    Cli.Result resumed = cli.run("resume", "killed");
    assertThat(resumed.code()).as(resumed.both()).isZero();
    assertThat(resumed.out()).contains("step b done", "ended SUCCEEDED");
    Cli.Result after = behind.result();
    assertThat(after.code()).as(after.both()).isZero();
    assertThat(effects()).containsExactly("do:a killed", "do:b killed", "do:a behind", "do:b behind");
    assertThat(count(cli.eventTypes("killed"), "RunFinished")).isEqualTo(1);
  }

  @Test
  void decisionsFromAnotherShellReachGatesInParallelBranchesAndForEachItemsOfALiveRun() throws Exception {
    script("fan.runbook.groovy", FAN);
    Cli.Running run = cli.start("run", "fan.runbook.groovy", "-p", param(), "--run-id", "fan");
    cli.awaitGate("fan", "both/east/approve-east");
    Cli.Result east = cli.run("approve", "fan", "approve-east", "--as", "alice");
    assertThat(east.code()).as(east.both()).isZero();
    // the live run (in memory: it has several strands) sees the approval and goes on to its forEach
    cli.awaitGate("fan", "regions[eu]/go");
    cli.awaitGate("fan", "regions[us]/go");
    Cli.Result ambiguous = cli.run("approve", "fan", "go", "--as", "alice");
    assertThat(ambiguous.code()).isEqualTo(1);
    assertThat(ambiguous.err()).contains("is awaiting approval more than once", "regions[eu]/go", "regions[us]/go");
    assertThat(cli.run("approve", "fan", "regions[eu]/go", "--as", "alice").code()).isZero();
    Cli.Result rejected = cli.run("reject", "fan", "regions[us]/go", "--as", "alice", "--reason", "us is busy");
    assertThat(rejected.code()).as(rejected.both()).isZero();
    Cli.Result ran = run.result();
    assertThat(ran.code()).as(ran.both()).isEqualTo(2);
    assertThat(ran.out()).contains("gate regions[us]/go rejected: rejected by alice: us is busy");
    List<String> effects = effects();
    assertThat(effects).containsOnlyOnce("do:east", "do:west", "undo:east", "undo:west");
    assertThat(effects.subList(effects.size() - 2, effects.size())).containsExactlyInAnyOrder("undo:east",
        "undo:west");
    assertThat(count(effects, "do:ship us")).isZero();
    assertThat(count(effects, "do:ship eu")).isEqualTo(count(effects, "undo:ship eu")).isLessThanOrEqualTo(1);
    List<String> types = cli.eventTypes("fan");
    assertThat(count(types, "GatePassed")).isEqualTo(2);
    assertThat(count(types, "GateRejected")).isEqualTo(1);
  }

  @Test
  void aLockKeptByARunThatEndedRollbackFailedIsListedAndReleasedFromAnotherShell() throws Exception {
    script("stuck.runbook.groovy", """
        runbook('stuck') {
          lock 'svc'
          step('a') { action { 'a' }; compensate { ctx, out -> throw new IllegalStateException('cannot undo a') } }
          step('b') { action { throw new IllegalStateException('b broke') }; readOnly() }
        }
        """);
    Files.writeString(dir.resolve("quick.runbook.groovy"), hold("quick", "1s"));
    Cli.Result stuck = cli.run("run", "stuck.runbook.groovy", "--run-id", "stuck");
    assertThat(stuck.code()).as(stuck.both()).isEqualTo(3);
    Cli.Running next = cli.start("run", "quick.runbook.groovy", "-p", param(), "--run-id", "next");
    cli.awaitState("next", "WAITING");
    Cli.Result locks = cli.run("locks");
    assertThat(locks.out()).contains("svc  held by run stuck (ROLLBACK_FAILED; release it with: runbook4j unlock svc"
        + " --as USER --reason TEXT)", "waiting: next");
    for (int i = 0; i < 300 && !next.outSoFar().contains("waiting for lock"); i++) {
      Thread.sleep(100);  // a real child process: real time
    }
    assertThat(next.outSoFar()).contains("waiting for lock 'svc', held by run stuck");

    Cli.Result unlock = cli.run("unlock", "svc", "--as", "oncall", "--reason", "undid a by hand");
    assertThat(unlock.code()).as(unlock.both()).isZero();
    assertThat(unlock.out()).contains("released lock 'svc' kept by run stuck (ROLLBACK_FAILED)");
    Cli.Result after = next.result();
    assertThat(after.code()).as(after.both()).isZero();
    assertThat(cli.eventTypes("stuck")).last().isEqualTo("LockForceReleased");
    Cli.Result again = cli.run("unlock", "svc", "--as", "oncall", "--reason", "twice");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("Lock 'svc' is not held by any run");
  }

  @Test
  void twoResumesAtOnceDriveTheRunOnce() throws Exception {
    script("gated.runbook.groovy", GATED.formatted("1h"));
    Cli.Result parked = cli.run("run", "gated.runbook.groovy", "-p", param(), "--run-id", "twice", "--detach");
    assertThat(parked.code()).as(parked.both()).isEqualTo(4);
    assertThat(cli.run("approve", "twice", "approval", "--as", "alice").code()).isZero();
    Cli.Running one = cli.start("resume", "twice");
    Cli.Running two = cli.start("resume", "twice");
    Cli.Result a = one.result();
    Cli.Result b = two.result();
    // one drives it to its end; the other is refused while it does, or finds it ended
    assertThat(List.of(a.code(), b.code())).as(a.both() + b.both()).contains(0).allMatch(c -> c == 0 || c == 1);
    for (Cli.Result r : List.of(a, b)) {
      if (r.code() == 1) {
        assertThat(r.err()).contains("is driven by runner '");
      }
    }
    assertThat(effects()).containsExactly("do:stage twice", "do:ship twice");
    assertThat(count(cli.eventTypes("twice"), "RunFinished")).isEqualTo(1);
  }

  @Test
  void anApprovalRacingARejectionFromAnotherShellIsRefusedNamingTheFirst() throws Exception {
    script("gated.runbook.groovy", GATED.formatted("1h"));
    for (int i = 1; i <= 3; i++) {
      String id = "race-" + i;
      assertThat(cli.run("run", "gated.runbook.groovy", "-p", param(), "--run-id", id, "--detach").code()).isEqualTo(4);
      Cli.Running approve = cli.start("approve", id, "approval", "--as", "alice");
      Cli.Running reject = cli.start("reject", id, "approval", "--as", "bob", "--reason", "not now");
      Cli.Result approved = approve.result();
      Cli.Result rejected = reject.result();
      assertThat(approved.code() + rejected.code()).as(approved.both() + rejected.both()).isEqualTo(1);
      Cli.Result loser = approved.code() == 1 ? approved : rejected;
      assertThat(loser.err()).contains("Gate 'approval' of run " + id + " (gated) has been decided already: "
          + (approved.code() == 1 ? "rejected by bob: not now" : "passed, approved by alice"),
          "this decision was not recorded");
      List<String> types = cli.eventTypes(id);
      assertThat(count(types, "GatePassed") + count(types, "GateRejected")).isEqualTo(1);
      Cli.Result resumed = cli.run("resume", id);
      assertThat(resumed.code()).as(resumed.both()).isEqualTo(approved.code() == 0 ? 0 : 2);
    }
  }

  @Test
  void anApprovalAfterTheGatesDeadlineIsRefusedAndTheRunRollsBack() throws Exception {
    script("gated.runbook.groovy", GATED.formatted("2s"));
    assertThat(cli.run("run", "gated.runbook.groovy", "-p", param(), "--run-id", "late", "--detach").code())
        .isEqualTo(4);
    Thread.sleep(2_500);  // a real child process on the system clock: the gate's 2 s deadline passes
    Cli.Result late = cli.run("approve", "late", "approval", "--as", "alice");
    assertThat(late.code()).as(late.both()).isEqualTo(1);
    assertThat(late.err()).contains("Gate 'approval' of run late (gated) timed out at",
        "the decision of 'alice' was not recorded");
    Cli.Result resumed = cli.run("resume", "late");
    assertThat(resumed.code()).as(resumed.both()).isEqualTo(2);
    assertThat(resumed.out()).contains("only 0 of 1 approvals arrived within 2s");
    List<String> types = cli.eventTypes("late");
    assertThat(types).doesNotContain("ApprovalGranted", "GatePassed");
    assertThat(effects()).containsExactly("do:stage late", "undo:stage late");
  }

  @Test
  void aCancelFromAnotherShellAtGatesInsideParallelBranchesAndForEachItemsRollsTheLiveRunBackOnce()
      throws Exception {
    script("soak.runbook.groovy", SOAK);
    Files.writeString(dir.resolve("fan.runbook.groovy"), FAN);

    // a gate in one branch while the other branch soaks in memory
    Cli.Running soak = cli.start("run", "soak.runbook.groovy", "-p", param(), "--run-id", "soak");
    cli.awaitGate("soak", "both/east/approve-east");
    cli.awaitState("soak", "AWAITING_APPROVAL");
    Cli.Result cancel = cli.run("cancel", "soak", "--as", "oncall", "--reason", "west looks bad");
    assertThat(cancel.code()).as(cancel.both()).isZero();
    assertThat(cancel.out()).contains("cancel of run soak recorded; the run is rolling back");
    Cli.Result soaked = soak.result();
    assertThat(soaked.code()).as(soaked.both()).isEqualTo(2);
    assertThat(soaked.out()).contains("cancelled by oncall: west looks bad");

    // gates in two forEach items, after a branch's gate was approved from another shell
    Cli.Running fan = cli.start("run", "fan.runbook.groovy", "-p", param(), "--run-id", "fan");
    cli.awaitGate("fan", "both/east/approve-east");
    assertThat(cli.run("approve", "fan", "approve-east", "--as", "alice").code()).isZero();
    cli.awaitGate("fan", "regions[eu]/go");
    cli.awaitGate("fan", "regions[us]/go");
    Cli.Result cancelFan = cli.run("cancel", "fan", "--as", "oncall", "--reason", "regions are busy");
    assertThat(cancelFan.code()).as(cancelFan.both()).isZero();
    assertThat(cancelFan.out()).contains("cancel of run fan recorded; the run is rolling back");
    Cli.Result fanned = fan.result();
    assertThat(fanned.code()).as(fanned.both()).isEqualTo(2);

    List<String> effects = effects();
    assertThat(effects.subList(0, 2)).containsExactly("do:west soak", "undo:west soak");
    assertThat(effects.subList(2, effects.size())).hasSize(4).containsOnlyOnce("do:east", "do:west", "undo:east",
        "undo:west");  // the branches of 'both' run and undo in either order; nothing of the forEach ran
    for (String id : List.of("soak", "fan")) {
      List<String> types = cli.eventTypes(id);
      assertThat(count(types, "RunFinished")).as(id).isEqualTo(1);
      assertThat(count(types, "CancelRequested")).as(id).isEqualTo(1);
      Cli.Result again = cli.run("cancel", id);
      assertThat(again.code()).isEqualTo(1);
      assertThat(again.err()).contains("run " + id + " has ended ROLLED_BACK; there is nothing to cancel");
    }
    assertThat(count(cli.eventTypes("fan"), "GatePassed")).isEqualTo(1);
    assertThat(cli.eventTypes("soak")).doesNotContain("GatePassed", "ApprovalGranted");
  }

  @Test
  void aRunParkedInTheJournalIsCancelledFromAnotherShellAndRollsBackWhenResumed() throws Exception {
    script("gated.runbook.groovy", GATED.formatted("1h"));
    assertThat(cli.run("run", "gated.runbook.groovy", "-p", param(), "--run-id", "parked", "--detach").code())
        .isEqualTo(4);
    Cli.Result cancel = cli.run("cancel", "parked", "--as", "oncall", "--reason", "not today");
    assertThat(cancel.code()).as(cancel.both()).isZero();
    assertThat(cancel.out()).contains("cancel of run parked recorded; nobody drives the run now: it rolls back"
        + " when resumed (runbook4j resume parked)");
    Cli.Result late = cli.run("approve", "parked", "approval", "--as", "alice");
    assertThat(late.code()).as(late.both()).isEqualTo(1);
    Cli.Result resumed = cli.run("resume", "parked");
    assertThat(resumed.code()).as(resumed.both()).isEqualTo(2);
    assertThat(resumed.out()).contains("cancelled by oncall: not today");
    assertThat(effects()).containsExactly("do:stage parked", "undo:stage parked");
    List<String> types = cli.eventTypes("parked");
    assertThat(types).doesNotContain("ApprovalGranted", "GatePassed");
    assertThat(count(types, "RunFinished")).isEqualTo(1);
  }

  @Test
  void aFailedBranchOrItemStopsItsSiblingsFromStartingNewSteps() throws Exception {
    script("parallel.runbook.groovy", BREAKS.formatted(BREAKS_IN_PARALLEL));
    Files.writeString(dir.resolve("foreach.runbook.groovy"), BREAKS.formatted(BREAKS_IN_FOREACH));
    for (String name : List.of("parallel", "foreach")) {
      Files.deleteIfExists(dir.resolve("effects"));
      Cli.Result r = cli.run("run", name + ".runbook.groovy", "-p", param(), "--run-id", name);
      assertThat(r.code()).as(r.both()).isEqualTo(2);
      // in the journal's order: once the failure is recorded, a sibling may at most be starting the one
      // step it had passed the halt check for; none starts another
      JsonNode events = cli.events(name);
      int failedAt = -1;
      int startedAfter = 0;
      for (int i = 0; i < events.size(); i++) {
        JsonNode e = events.get(i);
        String type = e.get("type").asText();
        if (type.equals("StepFailed") && failedAt < 0) {
          failedAt = i;
          assertThat(e.get("stepId").asText()).as(name).contains("failing");
        } else if (failedAt >= 0 && type.equals("StepStarted")) {
          startedAfter++;
        }
      }
      assertThat(failedAt).as(name).isPositive();
      assertThat(startedAfter).as("%s: steps the siblings started after the failure", name)
          .isLessThanOrEqualTo(2);  // one per sibling, each at most the step it was entering
      // the failing step itself started, so it is compensated too (in the forEach: it logs its undo)
      List<String> effects = effects().stream().filter(l -> !l.contains("failing")).toList();
      long done = effects.stream().filter(l -> l.startsWith("do:")).count();
      long undone = effects.stream().filter(l -> l.startsWith("undo:")).count();
      assertThat(undone).as(name).isEqualTo(done).isLessThan(2 * 150);
      for (String line : effects) {
        if (line.startsWith("do:")) {
          assertThat(effects).as(name).containsOnlyOnce(line, "un" + line);
        }
      }
      assertThat(count(cli.eventTypes(name), "RunFinished")).isEqualTo(1);
    }
  }
}
