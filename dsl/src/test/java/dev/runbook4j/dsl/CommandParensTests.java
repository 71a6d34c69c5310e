package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.Plan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.groovy.parser.antlr4.GroovyLexer;
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

  /** Every script of the repository, and generated ones: the scanner finds what Groovy's lexer finds. */
  @Test
  void theScannerRewritesAsGroovysLexerDoesAndSaysWhenItCannotRead() throws java.io.IOException {
    List<String> sources = new ArrayList<>();
    for (String dir : new String[] {"src/test/resources", "../examples", "../testing/src/test/resources"}) {
      try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(java.nio.file.Path.of(dir))) {
        for (java.nio.file.Path f : files.filter(f -> f.toString().endsWith(".groovy")
            && !f.toString().contains("target")).toList()) {
          sources.add(java.nio.file.Files.readString(f));
        }
      }
    }
    assertThat(sources).hasSizeGreaterThan(20);
    StringBuilder big = new StringBuilder("runbook('generated') {\n  parameters { string 'version', required: true }\n");
    for (int i = 0; i < 50; i++) {
      big.append("  step('s").append(i).append("') {   // step ").append(i).append("\n")
          .append("    action { ctx -> \"${params.version}-").append(i).append(" $ctx.runId\" }\n")
          .append("    compensate { ctx, out -> println 'undo: ' + out; [a: 1, b: [c: 2]] }\n")
          .append("    retry maxAttempts: ").append(i % 4 + 1).append(", backoff: '1s', multiplier: 1.5e0\n")
          .append("    timeout i % 2 == 0 ? '1m' : '2m'\n")
          .append("  }\n")
          .append("  waitUntil 'w").append(i).append("', every: '1s',\n      timeout: '30s' { ctx -> ctx?.x ?: true }\n");
    }
    sources.add(big.append("}\n").toString());
    sources.addAll(List.of(
        "foo a: 1, b: \"x${[1, 2].collect { \"${it}\" }}\" // end\nbar(\n  baz a: 1\n)\n",
        "x = '''a\nretry b: 1'''; retry c: \"\"\"d\n$e\"\"\"\nlabel: retry d: 1\n",
        "m = [k: 1]; f k: 1; g 1..2, k: 3; h(k: 4) { -> i k: 5 }\ncase 1: j k: 6\n",
        "step('a') { action { ctx -> ctx.x::y; z *: [a: 1] }; retry maxAttempts: 2 }\n",
        "s = \"$a$b.c${d}\" + 'e$f'; retry on: 'x', n: 0x1F, m: 10L, r: 1..<3\n"));
    int fast = 0;
    for (String source : sources) {
      String expected = CommandParens.addWithGroovysLexer(source);
      assertThat(CommandParens.add(source)).as(source).isEqualTo(expected);
      List<CommandParens.Tok> scanned = Scanner.scan(source);
      if (scanned != null) {
        fast++;
        assertThat(interesting(scanned)).as(source).isEqualTo(interesting(groovyTokens(source)));
      }
    }
    assertThat(fast).as("scripts read by the scanner").isGreaterThan(sources.size() / 3);
    // what it does not read, Groovy's lexer does
    for (String unread : new String[] {"x = a / b\n", "r = /\\d+/\n", "/* c */ retry a: 1\n",
        "x = 'caf\u00e9' + \u00e9\n", "s = \"${\n1}\"\n", "x = a?[0]\n", "x = 1 \\\n + 2\n", "s = 'open\n"}) {
      assertThat(Scanner.scan(unread)).as(unread).isNull();
    }
  }

  /** The tokens the parentheses pass looks at, as (type, place): numbers alike, GString ends by their end. */
  private static List<String> interesting(List<CommandParens.Tok> tokens) {
    java.util.Set<Integer> types = java.util.Set.of(GroovyLexer.NL, GroovyLexer.SEMI, GroovyLexer.COMMA,
        GroovyLexer.COLON, GroovyLexer.ARROW, GroovyLexer.LPAREN, GroovyLexer.RPAREN, GroovyLexer.LBRACK,
        GroovyLexer.RBRACK, GroovyLexer.LBRACE, GroovyLexer.RBRACE, GroovyLexer.Identifier,
        GroovyLexer.CapitalizedIdentifier, GroovyLexer.StringLiteral,
        GroovyLexer.GStringBegin, GroovyLexer.GStringEnd, GroovyLexer.IntegerLiteral, GroovyLexer.FloatingPointLiteral,
        GroovyLexer.BooleanLiteral, GroovyLexer.NullLiteral);
    List<String> out = new ArrayList<>();
    for (CommandParens.Tok t : tokens) {
      if (types.contains(t.type())) {
        int type = t.type() == GroovyLexer.FloatingPointLiteral ? GroovyLexer.IntegerLiteral : t.type();
        out.add(type + "@" + (type == GroovyLexer.GStringEnd ? "end " + t.stop() : String.valueOf(t.start())));
      }
    }
    return out;
  }

  private static List<CommandParens.Tok> groovyTokens(String source) {
    List<CommandParens.Tok> tokens = new ArrayList<>();
    org.apache.groovy.parser.antlr4.GroovyLangLexer lexer = new org.apache.groovy.parser.antlr4.GroovyLangLexer(
        groovyjarjarantlr4.v4.runtime.CharStreams.fromString(source));
    for (groovyjarjarantlr4.v4.runtime.Token t = lexer.nextToken();
        t.getType() != groovyjarjarantlr4.v4.runtime.Token.EOF; t = lexer.nextToken()) {
      if (t.getChannel() == groovyjarjarantlr4.v4.runtime.Token.DEFAULT_CHANNEL) {
        tokens.add(new CommandParens.Tok(t.getType(), t.getStartIndex(), t.getStopIndex()));
      }
    }
    return tokens;
  }
}
