package dev.runbook4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.Plan;
import dev.runbook4j.RunState;
import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptParams;
import dev.runbook4j.dsl.ScriptRunbook;
import dev.runbook4j.spi.Notification;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.RunbookTestKit;
import dev.runbook4j.testing.Subject;
import dev.runbook4j.testing.TestRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * patch-instance.groovy, a runbook in the spirit of an SSM Automation document: a three-way branch
 * on the instance's state (with an early successful end), a group its parameters switch on, a
 * confirm-before-restore gate in the rollback, a restore that stops the rollback when it fails, and
 * messages. Targeted runs on virtual time, then every failure path of every branch explored.
 */
class PatchInstanceTests {
  static final Path SCRIPT = Path.of("runbooks/patch-instance.groovy");
  static final String ID = "i-0abc123";

  private static ScriptRunbook script(FakeEc2 ec2) {
    return RunbookScripts.load(SCRIPT, Map.of("ec2", ec2));
  }

  private static ScriptParams params(ScriptRunbook s, boolean drain) {
    return s.params(Map.of("instanceId", ID, "drain", String.valueOf(drain)));
  }

  @Test
  void aRunningInstanceIsPatchedAndTheOpsChannelHearsOfIt() {
    FakeEc2 ec2 = new FakeEc2(ID, "running");
    ScriptRunbook s = script(ec2);
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      TestRun run = kit.run(s.runbook(), params(s, true));
      assertThat(run.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(run.started()).containsExactly("describe", "snapshot", "drain/deregister", "patch", "return/register",
          "done");
      assertThat(ec2.level()).isEqualTo("2026.11-security");
      assertThat(kit.notifications()).extracting(Notification::channel, Notification::text).containsExactly(
          org.assertj.core.groups.Tuple.tuple("ops", "patching " + ID + " (security)"),
          org.assertj.core.groups.Tuple.tuple("ops", "patched " + ID + ": 2026.11-security"));
    }
  }

  @Test
  void aTerminatedInstanceEndsTheRunEarly() {
    FakeEc2 ec2 = new FakeEc2(ID, "terminated");
    ScriptRunbook s = script(ec2);
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      TestRun run = kit.run(s.runbook(), params(s, true));
      assertThat(run.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(run.result().endedEarly()).contains("the instance is gone: nothing to patch");
      assertThat(run.started()).containsExactly("describe");
    }
  }

  @Test
  void aPatchThatLeavesItUnhealthyIsRestoredOnceAPersonConfirms() {
    FakeEc2 ec2 = new FakeEc2(ID, "stopped");
    ScriptRunbook s = script(ec2);
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      kit.faults().rejectGate("healthy");
      TestRun parked = kit.run(s.runbook(), params(s, false));
      assertThat(parked.state()).isEqualTo(RunState.AWAITING_APPROVAL);  // the rollback waits: nothing undone yet
      assertThat(ec2.level()).isEqualTo("2026.11-security");
      TestRun run = kit.approve(parked, "confirm-restore", "sre");
      assertThat(run.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(run.compensated()).containsExactly("patch", "snapshot", "by-state/stopped/start");
      assertThat(run.result().skipped()).containsExactly("drain");  // 'return' is after the gate: never reached
      assertThat(ec2.asItWas()).isTrue();
      assertThat(kit.notifications()).extracting(Notification::text)
          .contains("the patch of " + ID + " was rolled back");
    }
  }

  @Test
  void thePlanShowsTheBranchesTheConditionsAndTheGateBeforeTheRollback() {
    ScriptRunbook s = script(new FakeEc2(ID, "running"));
    String plan = Plan.of(s.runbook(), params(s, false)).toText();
    assertThat(plan).contains(
        "option by-state/terminated  [when: output('describe') == 'terminated'; decision: when reached]",
        "group drain  [when: params.drain; decision: skipped]",
        "before the rollback:",
        "gate rollback/confirm-restore",
        "messages: started → ops, rolledBack → ops, rollbackFailed → oncall");
  }

  /** Every failure path holds, in each branch the instance's state takes, drained or not. */
  @ParameterizedTest(name = "{0}, drain {1}")
  @CsvSource({"running, true", "stopped, false", "stopped, true", "terminated, true"})
  void everyFailurePathOfEveryBranchHolds(String state, boolean drain) {
    ExplorationReport report = FailureExplorer.of(() -> {
      FakeEc2 ec2 = new FakeEc2(ID, state);
      ScriptRunbook s = script(ec2);
      return Subject.of(s.runbook(), params(s, drain))
          .whenRolledBack("the instance is as it was, its snapshot deleted", ec2::asItWas)
          .whenSucceeded("the instance is patched or was gone", () -> state.equals("terminated")
              || ec2.level().startsWith("2026.11"));
    }).explore();
    report.assertAllHold();
    List<String> names = report.paths().stream().map(p -> p.point().name()).toList();
    if (state.equals("stopped")) {
      assertThat(names).contains("fail 'by-state/stopped/start' → compensates by-state/stopped/start");
      assertThat(names).anyMatch(n -> n.startsWith("reject gate 'rollback/confirm-restore' in the rollback after")
          && n.endsWith("→ aborts, nothing undone"));
    }
    if (state.equals("running")) {
      assertThat(names).noneMatch(n -> n.contains("by-state/stopped"));
    }
    if (state.equals("terminated")) {
      assertThat(names).noneMatch(n -> n.contains("'patch'"));
    }
  }
}
