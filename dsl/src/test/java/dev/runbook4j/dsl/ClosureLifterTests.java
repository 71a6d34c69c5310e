package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The loader moves a script's blocks into methods of the script's class (fewer classes, one
 * metaclass): a block means what it meant as a closure — where its names resolve, its owner, its
 * parameters — and one that cannot be moved without changing that stays a closure.
 */
class ClosureLifterTests {
  private static RunResult run(ScriptRunbook s, Map<String, String> params) {
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create())
        .journal(new InMemoryJournal()).build()) {
      RunResult r = engine.run(s.runbook(), s.params(params));
      assertThat(r.state()).as("%s", r.failure()).isEqualTo(RunState.SUCCEEDED);
      return r;
    }
  }

  @Test
  void aMovedBlockResolvesItsNamesAsTheClosureDid() {
    String source = """
        import static java.lang.Math.max
        def region = 'eu'                  // a local of the script: a block that reads it stays a closure
        def helper(x) { "helped $x" }
        runbook('lift') {
          parameters { string 'version', required: true }
          step('plain') { action { ctx -> "v${params.version}" }; readOnly() }
          step('implicit') { action { "it is a context: ${it.is(ctx)}" }; readOnly() }
          step('captured') { action { ctx -> "in $region for ${params.version}" }; readOnly() }
          step('each') {
            action { ctx ->
              def parts = []
              [1, 2].each { parts << "${params.version}.$it" }   // reads parts: a closure in a moved block
              parts.join(',')
            }
            readOnly()
          }
          step('spread') { action { ctx -> def f = { a, b -> a + b }; f([1, 2]) + f(3, 4) }; readOnly() }
          step('helper') { action { ctx -> helper(params.version) }; readOnly() }
          step('nested') { action { ctx -> [3, 4].collect { n -> [n].collect { m -> m * 2 }.sum() } }; readOnly() }
          step('this') { action { ctx -> this instanceof dev.runbook4j.dsl.RunbookScript }; readOnly() }
          step('typed') { action { Object ctx -> "typed ${params.version}" }; readOnly() }
          step('defaults') { action { ctx, x = 'd' -> "default ${x}" }; readOnly() }
          step('qualified') { action { ctx -> java.net.URLEncoder.encode("${params.version} b", 'UTF-8') }; readOnly() }
          step('static') { action { ctx -> max(2, 3) }; readOnly() }
          step('arrow') { action { -> "no parameter" }; readOnly() }
          step('key') { action { ctx -> idempotencyKey.endsWith(':key') }; readOnly() }
        }
        """;
    ScriptRunbook s = RunbookScripts.load("lift.runbook.groovy", source);
    RunResult r = run(s, Map.of("version", "1.2"));
    assertThat(r.outputs()).containsEntry("plain", "v1.2").containsEntry("implicit", "it is a context: true")
        .containsEntry("captured", "in eu for 1.2").containsEntry("each", "1.2.1,1.2.2")
        .containsEntry("spread", 10).containsEntry("helper", "helped 1.2").containsEntry("nested", List.of(6, 8))
        .containsEntry("this", true).containsEntry("typed", "typed 1.2").containsEntry("defaults", "default d")
        .containsEntry("key", true).containsEntry("arrow", "no parameter")
        .containsEntry("qualified", "1.2+b").containsEntry("static", 3);
    // the moved blocks share the script's class; what stays a closure is what had to: the runbook's
    // block and 'captured' with its action (they read the script's local), each's inner block (it
    // reads parts), the typed and the defaulted action, and the runbook block's probe (its owner for
    // the blocks moved out of it) — 8 classes where Groovy alone makes 31
    assertThat(RunbookScripts.classesOf("lift.runbook.groovy", source)).hasSize(8)
        .filteredOn(c -> c.contains("closure")).hasSize(7);
  }

  @Test
  void stepsMadeInALoopOfTheScriptAreOwnedByTheBlockTheyWereWrittenIn() {
    String source = """
        def names = ['a', 'b']
        runbook('loop') {                 // reads names: stays a closure; the blocks in it are moved
          def did = { v -> "did $v" }     // a local closure: a block that calls it stays a closure too
          names.each { n ->
            step(n) { action { did(params.version) }; readOnly(); retry maxAttempts: 2, backoff: '1s' }
          }
          step('c') { action { "${params.version} again" }; readOnly() }
          parameters { string 'version', required: true }
        }
        """;
    ScriptRunbook s = RunbookScripts.load("loop.runbook.groovy", source);
    assertThat(s.runbook().nodes()).hasSize(3);
    RunResult r = run(s, Map.of("version", "3"));
    assertThat(r.outputs()).containsEntry("a", "did 3").containsEntry("b", "did 3").containsEntry("c", "3 again");
  }

  @Test
  void aMisspeltKeywordInAMovedBlockIsReportedWhereItIsWritten() {
    String source = """
        runbook('typo') {
          step('a') {
            action { 1 }
            readOnly()
            retrry maxAttempts: 2
          }
        }
        """;
    assertThatThrownBy(() -> RunbookScripts.load("typo.runbook.groovy", source))
        .isInstanceOf(ScriptException.class)
        .satisfies(e -> assertThat(((ScriptException) e).scriptProblems()).singleElement()
            .satisfies(p -> assertThat(p.line()).isEqualTo(5)));
  }

  @Test
  void aMovedBlockTakesTheArgumentsAClosureWould() {
    ScriptClosure none = new ScriptClosure(this, new Object(), "absent", 0);
    assertThat(none.getMaximumNumberOfParameters()).isZero();
    assertThatThrownBy(() -> none.call(1)).isInstanceOf(groovy.lang.MissingMethodException.class);
    ScriptClosure two = new ScriptClosure(this, new Object(), "absent", 2);
    assertThat(two.getParameterTypes()).containsExactly(Object.class, Object.class);
    assertThatThrownBy(() -> two.call(1)).isInstanceOf(groovy.lang.MissingMethodException.class);
    assertThatThrownBy(() -> two.call(1, 2))   // the right count: then it looks for the method
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("absent");
  }
}
