package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.Plan;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Commands with named arguments get their parentheses before Groovy parses them, meaning the same. */
class CommandParensTests {
  @Test
  void aCommandWithNamedArgumentsGetsParenthesesAndKeepsItsColumns() {
    assertThat(CommandParens.add("    retry maxAttempts: 3, backoff: '1s'\n"))
        .isEqualTo("    retry(maxAttempts: 3, backoff: '1s')\n");
    assertThat(CommandParens.add("  parameters { string 'version', required: true }\n"))
        .isEqualTo("  parameters { string('version', required: true)}\n");
    assertThat(CommandParens.add("lock 'web', policy: 'latest-wins'; step('a') {}"))
        .isEqualTo("lock('web', policy: 'latest-wins'); step('a') {}");
    assertThat(CommandParens.add("waitUntil 'ready', every: '1s' { ctx -> true }"))
        .isEqualTo("waitUntil('ready', every: '1s'){ ctx -> true }");
    assertThat(CommandParens.add("retry maxAttempts: 3,\n      backoff: '1s'\nstep('b')"))
        .isEqualTo("retry(maxAttempts: 3,\n      backoff: '1s')\nstep('b')");
  }

  @Test
  void anythingElseIsLeftAsWritten() {
    for (String s : new String[] {
        "retry(maxAttempts: 3)\n",                         // parentheses already
        "timeout '5m'\n",                                  // no named argument
        "approvers 'alice', 'bob'; minApprovals 2\n",
        "println \"a: ${x}\"\n",                           // a colon inside a string
        "// retry maxAttempts: 3\n",                       // a comment
        "def m = [a: 1]\n",                                // a map, not a command
        "x.call a: 1\n",                                   // not a plain name first
        "foo a: 1 bar 2\n",                                // a command chain
        "foo a: 1, { it }\n",                              // a closure argument after a comma
        "action { version: params.version }\n",            // a label
        "'''retry maxAttempts: 3'''\n"}) {
      assertThat(CommandParens.add(s)).as(s).isEqualTo(s);
    }
  }

  @Test
  void aScriptLoadsTheSameRunbookWithOrWithoutTheParentheses() {
    String commands = """
        runbook('same') {
          parameters { string 'version', required: true; duration 'bake', defaultValue: '10m' }
          lock 'web', policy: 'latest-wins'
          step('a') { action { ctx -> params.version }; compensate { ctx, out -> }; retry maxAttempts: 3, backoff: '1s' }
          waitUntil 'ready', every: '1s', timeout: '30s' { ctx -> true }
        }
        """;
    String parens = """
        runbook('same') {
          parameters { string('version', required: true); duration('bake', defaultValue: '10m') }
          lock('web', policy: 'latest-wins')
          step('a') { action { ctx -> params.version }; compensate { ctx, out -> }; retry(maxAttempts: 3, backoff: '1s') }
          waitUntil('ready', every: '1s', timeout: '30s') { ctx -> true }
        }
        """;
    ScriptRunbook a = RunbookScripts.load("a.runbook.groovy", commands);
    ScriptRunbook b = RunbookScripts.load("b.runbook.groovy", parens);
    String planA = Plan.of(a.runbook(), a.params(Map.of("version", "1.0.0"))).toText();
    String planB = Plan.of(b.runbook(), b.params(Map.of("version", "1.0.0"))).toText();
    // the code hash differs (the texts do); everything else is the same
    assertThat(planA.replaceAll("(code|hash): \\S+", "")).isEqualTo(planB.replaceAll("(code|hash): \\S+", ""));
  }

  @Test
  void aMistakeIsReportedAtItsPlaceInTheTextAsWritten() {
    String broken = "runbook('x') {\n  step('a') { retry maxAttempts: 3, backoff: '1s'; action { 1 }; compensate { ctx -> } }\n"
        + "  step('b') { action { 1 ) }\n}\n";
    ScriptException e = org.assertj.core.api.Assertions.catchThrowableOfType(ScriptException.class,
        () -> RunbookScripts.load("broken.runbook.groovy", broken));
    assertThat(e.scriptProblems()).isNotEmpty();
    assertThat(e.scriptProblems().get(0).line()).isEqualTo(3);
  }
}
