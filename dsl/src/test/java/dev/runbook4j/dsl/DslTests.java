package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.Plan;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DslTests {
  static final Path DEPLOY_WEB = Path.of("src/test/resources/scripts/deploy-web.runbook.groovy");

  @Test
  void aScriptsPlanCoversItsTextSoAnEditedActionMakesAnotherPlan() {
    String v1 = "runbook('r') { step('s') { action { 1 }; readOnly() } }";
    String v2 = "runbook('r') { step('s') { action { 2 }; readOnly() } }";  // the same structure, other code
    ScriptRunbook a = RunbookScripts.load("r.runbook.groovy", v1);
    ScriptRunbook b = RunbookScripts.load("r.runbook.groovy", v2);
    assertThat(a.runbook().code()).isEqualTo(RunbookScripts.contentHash(v1)).matches("sha256:[0-9a-f]{64}");
    Plan pa = Plan.of(a.runbook(), a.params(Map.of()));
    assertThat(pa.hash()).isNotEqualTo(Plan.of(b.runbook(), b.params(Map.of())).hash());
    assertThat(pa.toText()).contains("code: " + RunbookScripts.contentHash(v1));
    assertThat(Plan.of(RunbookScripts.load("elsewhere.runbook.groovy", v1).runbook(), a.params(Map.of())).hash())
        .isEqualTo(pa.hash());  // the text decides, not where it is
  }

  @Test
  void everyFormOfTheIssueLoadsAndRuns() {
    ScriptRunbook s = RunbookScripts.load(DEPLOY_WEB);
    assertThat(s.runbook().name()).isEqualTo("deploy-web");
    assertThat(s.parameters().keySet()).containsExactly("version", "percent", "dryRun", "env", "bake", "token");
    ScriptParams p = s.params(Map.of("version", "1.4.2", "env", "prod", "token", "s3cr3t-sentinel"));
    assertThat(p.get("percent")).isEqualTo(10L);
    assertThat(p.get("bake")).isEqualTo(Duration.ofMinutes(10));
    assertThat(p.get("dryRun")).isEqualTo(false);

    Plan plan = Plan.of(s.runbook(), p);
    assertThat(plan.toText()).contains("locks: web-prod").doesNotContain("s3cr3t-sentinel").contains("\"token\":\"***\"");
    assertThat(plan.stepIds()).contains("a", "wave-1/b", "parallel-1/x/x1", "parallel-1/y/y1", "hosts[*]/deploy-host");

    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).journal(journal).build()) {
      RunResult parked = engine.run(s.runbook(), p, RunOptions.defaults().withRequester("dave"));
      assertThat(parked.isParked()).isTrue();
      engine.approve(parked.runId(), "approval", "alice");
      engine.approve(parked.runId(), "approval", "bob");
      RunResult r = engine.handle(parked.runId()).await();
      assertThat(r.state()).as("%s %s", r.failure(), engine.history(r.runId())).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.outputs().get("a")).isEqualTo("built 1.4.2 with " + r.runId() + ":a");
      assertThat(r.outputs().get("wave-1/b")).isEqualTo("built 1.4.2 with " + r.runId() + ":a then b");
      assertThat(r.outputs().get("hosts[h1]/deploy-host")).isEqualTo("deployed h1 as 10%");
      assertThat(r.outputs().get("hosts[h2]/deploy-host")).isEqualTo("deployed h2 as 10%");
      assertThat(journal.read(r.runId()).toString()).doesNotContain("s3cr3t-sentinel");
    }
  }

  @Test
  void parametersAreCheckedAllAtOnceWithoutShowingSecrets() {
    ScriptRunbook s = RunbookScripts.load(DEPLOY_WEB);
    assertThatThrownBy(() -> s.params(Map.of("version", "1.4", "percent", "500", "env", "qa", "colour", "red")))
        .isInstanceOf(RunbookDefinitionException.class)
        .satisfies(e -> assertThat(((RunbookDefinitionException) e).problems()).containsExactly(
            "unknown parameter 'colour'; declared: version, percent, dryRun, env, bake, token",
            "parameter 'version': '1.4' does not match /\\d+\\.\\d+\\.\\d+/",
            "parameter 'percent': 500 is outside [1, 100]",
            "parameter 'env': 'qa' is not one of [staging, prod]"));
    assertThat(s.params(Map.of("version", "1.0.0", "token", "s3cr3t-sentinel")).toString())
        .doesNotContain("s3cr3t-sentinel").contains("token=***");
  }

  @Test
  void aScriptsHelperMethodsAreCallableFromItsActions() {
    ScriptRunbook s = RunbookScripts.load("helpers.runbook.groovy", """
        String shout(String s) { s.toUpperCase() + '!' }
        runbook('helpers') {
          parameters { string 'name', defaultValue: 'web' }
          step('greet') { action { ctx -> shout("hello ${params.name}") }; readOnly() }
        }
        """);
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).build()) {
      RunResult r = engine.run(s.runbook(), s.params(Map.of()));
      assertThat(r.outputs().get("greet")).isEqualTo("HELLO WEB!");
    }
  }

  @Test
  void extensionsAddKeywordsThatTheCheckKnows() {
    ScriptRunbook s = RunbookScripts.load("ext.runbook.groovy", """
        runbook('ext') {
          announce 'hello'
          group('g') { announce 'again' }
        }
        """);
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).build()) {
      RunResult r = engine.run(s.runbook(), s.params(Map.of()));
      assertThat(r.outputs()).containsEntry("announce-hello", "hello").containsEntry("g/announce-again", "again");
    }
    assertThatThrownBy(() -> RunbookScripts.load("ext2.runbook.groovy", "runbook('x') {\n  anounce 'hi'\n}\n"))
        .isInstanceOf(ScriptException.class)
        .hasMessageContaining("ext2.runbook.groovy:2:3: unknown keyword 'anounce' in runbook 'x' (did you mean 'announce'?)");
  }

  @Test
  void theExampleScriptsLoad() throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of("../examples/scripts"))) {
      List<Path> scripts = files.filter(f -> f.toString().endsWith(".runbook.groovy")).toList();
      assertThat(scripts).isNotEmpty();
      for (Path f : scripts) {
        assertThat(RunbookScripts.load(f).runbook().nodes()).as(f.toString()).isNotEmpty();
      }
    }
  }

  @Test
  void compiledScriptsKeptOnDiskAreLoadedWithoutCompilingAndADamagedEntryIsCompiledAgain(
      @org.junit.jupiter.api.io.TempDir Path cache) throws Exception {
    String source = "runbook('cached') {\n  step('a') { action { ctx -> 'from ' + ctx.runId }; readOnly() }\n}\n";
    String key = ScriptCache.key("cached.runbook.groovy", source);
    RunbookScripts.cacheIn(cache);
    try {
      RunbookScripts.load("cached.runbook.groovy", source);
    } finally {
      RunbookScripts.cacheIn(null);
    }
    Path entry = cache.resolve(key);
    assertThat(entry.resolve("meta.txt")).exists();
    RunbookScripts.Compiled hit = ScriptCache.read(entry, "cached.runbook.groovy");
    assertThat(hit).isNotNull();
    assertThat(RunbookScript.class).isAssignableFrom(hit.type());
    assertThat(hit.checker().names).containsKey("a");
    // a class file whose bytes were changed (it would load, or fail with a raw ClassFormatError): the
    // hash in meta.txt tells, and the entry is removed so that the next compile writes it again
    Path cls;
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(entry)) {
      cls = files.filter(f -> f.toString().endsWith(".class")).findFirst().orElseThrow();
    }
    byte[] b = java.nio.file.Files.readAllBytes(cls);
    b[b.length / 2] ^= 0x55;
    java.nio.file.Files.write(cls, b);
    assertThat(ScriptCache.read(entry, "cached.runbook.groovy")).isNull();
    assertThat(entry).doesNotExist();
    RunbookScripts.cacheIn(cache);
    try {
      RunbookScripts.load("cached-again.runbook.groovy", source);  // another name: not in this JVM's memory
    } finally {
      RunbookScripts.cacheIn(null);
    }
    Path again = cache.resolve(ScriptCache.key("cached-again.runbook.groovy", source));
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(again)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        java.nio.file.Files.delete(f);  // a class file gone
      }
    }
    assertThat(ScriptCache.read(again, "cached-again.runbook.groovy")).isNull();
    assertThat(again).doesNotExist();
  }
}
