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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code when}, {@code choose} and {@code succeed} written in a script: runs, journals, plans and mistakes. */
class ConditionsDslTests {
  static final String SCRIPT = """
      runbook('remediate') {
        parameters {
          bool 'canary', defaultValue: false
          choice 'mode', values: ['fast', 'careful'], defaultValue: 'careful'
          string 'probe', defaultValue: 'ok'
        }
        step('probe') { action { ctx -> params.probe }; readOnly() }
        group('canary') {
          when { params.canary }
          step('shift-10') { action { ctx -> 'shifted' }; compensate { ctx, out -> } }
          bake 'soak', '10m', when: { params.mode == 'careful' }
        }
        step('migrate') {
          when('the careful mode') { params.mode == 'careful' }
          action { ctx -> 'migrated' }
          compensate { ctx, out -> }
        }
        choose('route') {
          when('healthy', { output('probe') == 'ok' }) { succeed 'the fleet is healthy' }
          when({ output('probe') == 'slow' }) {
            step('restart') { action { ctx -> 'restarted' }; compensate { ctx, out -> } }
          }
          otherwise {
            step('replace') { action { ctx -> 'replaced' }; compensate { ctx, out -> } }
          }
        }
        step('report') { action { ctx -> 'reported' }; readOnly() }
        watch('errors') { check { ctx -> true }; every '1m' }
      }
      """;

  private static RunResult run(ScriptRunbook s, Map<String, String> params, InMemoryJournal journal) {
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(journal).build()) {
      return engine.run(s.runbook(), s.params(params));
    }
  }

  @Test
  void conditionsAndBranchesOfAScriptRunAsTheirParametersAndOutputsSay() {
    ScriptRunbook s = RunbookScripts.load("remediate.runbook.groovy", SCRIPT);
    InMemoryJournal journal = new InMemoryJournal();
    RunResult slow = run(s, Map.of("probe", "slow", "mode", "fast"), journal);
    assertThat(slow.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(slow.started()).containsExactly("probe", "route/when-2/restart", "report");
    assertThat(slow.skipped()).containsExactly("canary", "migrate");
    assertThat(journal.read(slow.runId())).filteredOn(RunEvent.NodeSkipped.class::isInstance)
        .map(e -> ((RunEvent.NodeSkipped) e).reason())
        .containsExactly("its condition (params.canary) did not hold", "its condition (the careful mode) did not hold");
    assertThat(journal.read(slow.runId())).filteredOn(RunEvent.BranchChosen.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((RunEvent.BranchChosen) e).reason()).isEqualTo("output('probe') == 'slow'"));

    RunResult healthy = run(s, Map.of("canary", "true"), journal);
    assertThat(healthy.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(healthy.started()).containsExactly("probe", "canary/shift-10", "migrate");
    assertThat(healthy.endedEarly()).contains("the fleet is healthy");

    RunResult down = run(s, Map.of("probe", "down", "mode", "fast"), journal);
    assertThat(down.started()).containsExactly("probe", "route/otherwise/replace", "report");
  }

  @Test
  void thePlanOfAScriptShowsItsConditionsInItsOwnWords() {
    ScriptRunbook s = RunbookScripts.load("remediate.runbook.groovy", SCRIPT);
    String text = Plan.of(s.runbook(), s.params(Map.of("canary", "true"))).toText();
    assertThat(text).contains(
        "group canary  [when: params.canary; decision: runs]",
        "bake canary/soak  [when: params.mode == 'careful'; decision: runs; duration: 10m]",
        "step migrate  [when: the careful mode; decision: runs;",
        "option route/healthy  [when: output('probe') == 'ok'; decision: when reached]",
        "option route/when-2  [when: output('probe') == 'slow'; decision: when reached]",
        "succeed route/healthy/succeed  [reason: the fleet is healthy]");
  }

  @Test
  void misplacedBranchKeywordsAreReportedAtTheirLineAndColumn() {
    String source = """
        runbook('bad') {
          choose('route') {
            when({ true }) { step('a') { action { ctx -> 1 }; readOnly() } }
            otherwse { }
          }
          parallel('p') {
            branch('b') { succeed 'early' }
          }
          choose { }
        }
        """;
    assertThatThrownBy(() -> RunbookScripts.load("bad.runbook.groovy", source))
        .isInstanceOf(ScriptException.class)
        .satisfies(e -> assertThat(((ScriptException) e).scriptProblems()).map(ScriptProblem::toString)
            .anySatisfy(p -> assertThat(p).startsWith("bad.runbook.groovy:4:5: unknown keyword 'otherwse' in choose"
                + " 'route' (did you mean 'otherwise'?)")));
  }

  @Test
  void aChooseWithoutOptionsAndASucceedInAParallelAreReportedWhereTheyAreWritten() {
    String source = """
        runbook('bad') {
          parallel('p') {
            branch('b') { succeed 'early' }
          }
          choose { }
        }
        """;
    assertThatThrownBy(() -> RunbookScripts.load("bad.runbook.groovy", source))
        .isInstanceOf(ScriptException.class)
        .satisfies(e -> assertThat(((ScriptException) e).scriptProblems()).map(ScriptProblem::toString)
            .containsExactlyInAnyOrderElementsOf(List.of(
                "bad.runbook.groovy:2:3: succeed at 'p/b/succeed' is inside parallel 'p', whose other strands"
                    + " would still run; end the run after it instead",
                "bad.runbook.groovy:5:3: choose 'choose-1' has no options; add when(...) or otherwise(...)")));
  }
}
