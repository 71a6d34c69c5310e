package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code compensate(onFailure: 'stop', timeout: ...)} in a script. */
class RollbackPolicyDslTests {
  static final String SCRIPT = """
      runbook('saga') {
        step('reserve') { action { ctx -> 'reserved' }; compensate { ctx, out -> } }
        step('charge') {
          action { ctx -> 'charged' }
          compensate(onFailure: 'stop', timeout: '2m', retry: [maxAttempts: 1]) { ctx, out -> throw new IllegalStateException('void refused') }
        }
        step('ship') { action { ctx -> throw new IllegalStateException('no carrier') }; readOnly() }
      }
      """;

  @Test
  void aScriptsCompensationStopsTheRollbackWhenItFails() {
    ScriptRunbook s = RunbookScripts.load("saga.runbook.groovy", SCRIPT);
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(journal).build()) {
      RunResult r = engine.run(s.runbook(), s.params(Map.of()));
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      assertThat(r.compensated()).isEmpty();
      assertThat(journal.read(r.runId())).filteredOn(RunEvent.RollbackStopped.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((RunEvent.RollbackStopped) e).notAttempted()).containsExactly("reserve"));
    }
    assertThat(Plan.of(s.runbook(), s.params(Map.of())).toText())
        .contains("compensationTimeout: 2m; onCompensationFailure: stop the rollback");
  }

  @Test
  void anUnknownCompensationPolicyIsReportedAtItsLine() {
    String source = """
        runbook('bad') {
          step('a') { action { ctx -> 1 }; compensate(onFailur: 'stop') { ctx, out -> } }
        }
        """;
    assertThatThrownBy(() -> RunbookScripts.load("bad.runbook.groovy", source))
        .isInstanceOf(ScriptException.class)
        .satisfies(e -> assertThat(((ScriptException) e).scriptProblems()).map(ScriptProblem::toString)
            .containsExactly("bad.runbook.groovy:2:57: compensate: unknown option 'onFailur' (did you mean"
                + " 'onFailure'?); use onFailure, retry, timeout"));
  }

  @Test
  void aScriptRoutesFailuresByTheirError() {
    String source = """
        runbook('routed') {
          step('a') { action { ctx -> 'a' }; compensate { ctx, out -> } }
          step('warm') {
            action { ctx -> throw new java.io.UncheckedIOException(new java.io.IOException('cache node down')) }
            readOnly()
            onFailure 'abort', on: IllegalArgumentException
            onFailure 'continue', on: [java.io.IOException, java.util.concurrent.TimeoutException]
          }
          step('quota') {
            action { ctx -> throw new IllegalStateException('quota reached') }
            compensate { ctx, out -> }
            onFailure 'abort', on: { e -> e.message.contains('quota') }
          }
        }
        """;
    ScriptRunbook s = RunbookScripts.load("routed.runbook.groovy", source);
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(journal).build()) {
      RunResult r = engine.run(s.runbook(), s.params(Map.of()));
      assertThat(r.state()).isEqualTo(RunState.ABORTED);
      assertThat(journal.read(r.runId())).filteredOn(RunEvent.FailureRouted.class::isInstance)
          .map(e -> ((RunEvent.FailureRouted) e).rule())
          .containsExactly("IOException", "a condition");
    }
    assertThat(Plan.of(s.runbook(), s.params(Map.of())).toText())
        .contains("failureRules: abort on IllegalArgumentException, continue on IOException, continue on TimeoutException");
  }

  @Test
  void aScriptsParallelCanLetItsBranchesFinish() {
    String source = """
        runbook('waves') {
          parallel(failFast: false) {
            branch('eu') { step('eu-1') { action { ctx -> throw new IllegalStateException('eu down') }; compensate { ctx, out -> } } }
            branch('us') {
              wait 'soak', '5m'
              step('us-1') { action { ctx -> 'us' }; compensate { ctx, out -> } }
            }
          }
          parallel('second', failFast: false) {
            branch('x') { step('x-1') { action { ctx -> 'x' }; readOnly() } }
          }
        }
        """;
    ScriptRunbook s = RunbookScripts.load("waves.runbook.groovy", source);
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(new InMemoryJournal())
        .build()) {
      RunResult r = engine.run(s.runbook(), s.params(Map.of()));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("parallel-1/us/us-1", "parallel-1/eu/eu-1");
    }
  }

  @Test
  void aScriptsDefaultsAreInheritedByItsSteps() {
    String source = """
        runbook('defaults') {
          defaults {
            retry maxAttempts: 3, backoff: '10s'
            timeout '5m'
          }
          step('a') { action { ctx -> 1 }; readOnly() }
          step('b') { action { ctx -> 2 }; readOnly(); timeout '1m' }
        }
        """;
    ScriptRunbook s = RunbookScripts.load("defaults.runbook.groovy", source);
    assertThat(Plan.of(s.runbook(), s.params(Map.of())).toText())
        .contains("(runbook default); timeout: 5m (runbook default)", "timeout: 1m;");
  }
}
