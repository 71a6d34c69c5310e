package dev.runbook4j.examples;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptParams;
import dev.runbook4j.dsl.ScriptRunbook;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.ExploreFailures;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.RunbookTest;
import dev.runbook4j.testing.RunbookTestKit;
import dev.runbook4j.testing.ScriptSubjects;
import dev.runbook4j.testing.Subject;
import dev.runbook4j.testing.TestRun;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The deployment logic of local-release.groovy, tested the way the README recommends: the script
 * loaded with a fake of the machine, a few targeted runs on virtual time, and every failure path
 * explored. (LocalReleaseTests runs the same script on the real machine.)
 */
@RunbookTest
class LocalReleaseExplorationTests {
  static final Path SCRIPT = Path.of("runbooks/local-release.groovy");
  static final int FRONT = 18080;

  final FakeMachine machine = new FakeMachine();

  private ScriptRunbook script() {
    return RunbookScripts.load(SCRIPT, Map.of("machine", machine));
  }

  private static ScriptParams params(ScriptRunbook s, String failAt) {
    return s.params(Map.of("root", "/nowhere", "failAt", failAt));
  }

  /** Each path: v1 serves behind the proxy; the run releases v2. */
  Subject<ScriptParams> subject() {
    ScriptRunbook s = script();
    Subject<ScriptParams> subject = ScriptSubjects.of(s, params(s, "none"));   // runs testReset: a clean machine
    machine.live("v1", FRONT);
    return subject
        .whenRolledBack("v1 serves, v2 is stopped, the proxy runs", () -> machine.front().equals("200 hello from v1")
            && !machine.running("v2") && machine.proxy())
        .whenSucceeded("v2 serves", () -> machine.front().equals("200 hello from v2"));
  }

  @Test
  void aReleaseReplacesTheVersionThatServed(RunbookTestKit kit) {
    ScriptRunbook s = script();
    machine.live("v1", FRONT);
    TestRun run = kit.run(s.runbook(), params(s, "none"));
    assertThat(run).succeeded();
    assertThat(machine.front()).isEqualTo("200 hello from v2");
    assertThat(machine.running("v1")).isFalse();
  }

  @Test
  void aReleaseThatGoesBadDuringTheBakeIsSwitchedBack(RunbookTestKit kit) {
    ScriptRunbook s = script();
    machine.live("v1", FRONT);
    TestRun run = kit.run(s.runbook(), params(s, "bake"));
    assertThat(run).rolledBack().failedWith("answers 500: failing v2")
        .compensated("live/switch-traffic", "front-proxy", "start-new", "prepare-release").inOrder();
    assertThat(machine.front()).isEqualTo("200 hello from v1");
    assertThat(machine.running("v2")).isFalse();
  }

  /** One test per failure point of the script, each named for what it proves. */
  @ExploreFailures
  void everyFailurePathLeavesV1Serving() {
  }

  @Test
  void theFirstReleaseRolledBackLeavesNothingRunning() {
    ExplorationReport report = FailureExplorer.of(() -> {
      FakeMachine empty = new FakeMachine();
      ScriptRunbook s = RunbookScripts.load(SCRIPT, Map.of("machine", empty));
      return ScriptSubjects.of(s, params(s, "none"))
          .whenRolledBack("nothing serves and nothing runs", () -> !empty.proxy() && !empty.running("v1"));
    }).crashes(false).explore();
    report.assertAllHold();
    assertThat(report.paths().size()).isGreaterThan(20);
  }
}
